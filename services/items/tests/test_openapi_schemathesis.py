"""schemathesis against a real items process, with a real users process behind it (for
tokens and `?expand=owner`): every operation of its OpenAPI document, with every check,
in each mode; the document must say what the service answers.

How the runs are bounded, kept reproducible, and what they relax: devstack.api_fuzzing.
Postgres only: the document is the same on both databases, and the suite's budget is
the searches' depth, not a second backend.
"""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import databases
from devstack.api_fuzzing import run_schemathesis
from devstack.ports import free_port
from devstack.servers import RedisServer
from servicekit.testing import migrate

pytestmark = pytest.mark.e2e

USERS_ALEMBIC_INI = Path(__file__).parents[2] / "users" / "alembic.ini"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of the run's own: the revocations, counts and views it makes stay in it."""
    with RedisServer(tmp_path / "redis", free_port()) as server:
        yield server.url


@pytest.fixture
def users_url(server_urls, spawn_uvicorn, jwt_private_key: str, own_redis: str) -> Iterator[str]:
    """A real users process on a migrated database of its own."""
    server = server_urls["postgres"]
    name = f"users_for_items_fuzz_{os.getpid()}_{secrets.token_hex(3)}"
    databases.create_database(server, name)
    try:
        database_url = databases.with_database(server, name)
        migrate(USERS_ALEMBIC_INI, database_url)
        yield spawn_uvicorn(
            "users_service.main:app",
            DATABASE_URL=database_url,
            JWT_PRIVATE_KEY=jwt_private_key,
            REDIS_URL=own_redis,
        )
    finally:
        databases.drop_database(server, name)


@pytest.mark.parametrize("database_backend", ["postgres"])
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_schemathesis_finds_nothing(
    spawn_uvicorn,
    fresh_database_url: str,
    users_url: str,
    own_redis: str,
    tmp_path: Path,
    mode: str,
):
    items = spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        USERS_URL=users_url,
        REDIS_URL=own_redis,
    )

    run = run_schemathesis(items, mode=mode, users_url=users_url, workdir=tmp_path / "schemathesis")

    assert run.passed, run.summary()
