"""schemathesis against a real items process, with a real users process behind it (for
tokens and `?expand=owner`): every operation of its OpenAPI document, with every check,
in each mode; the document must say what the service answers.

How the runs are bounded, kept reproducible, and what they relax: testkit.api_fuzzing.
On both databases: the document is the same, but what a case does to the data (and the
answer it gets) is each database's.
"""

from pathlib import Path

import pytest

from testkit.api_fuzzing import run_schemathesis

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("database_backend", ["postgres", "mysql"])
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_schemathesis_finds_nothing(
    spawn_uvicorn,
    fresh_database_url: str,
    users_beside: str,
    own_redis: str,
    tmp_path: Path,
    mode: str,
):
    items = spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        USERS_URL=users_beside,
        REDIS_URL=own_redis,
    )

    run = run_schemathesis(
        items, mode=mode, users_url=users_beside, workdir=tmp_path / "schemathesis"
    )

    assert run.passed, run.summary()
