"""schemathesis against a real service process: every operation of its OpenAPI document,
with every check, in each mode; the document must say what the service answers.

How the runs are bounded, kept reproducible, and what they relax: testkit.api_fuzzing.

A service's module imports `test_schemathesis_finds_nothing` and provides `fuzz_target`,
a `FuzzTarget`: its process on a fresh database of its own, and a users process for
tokens. Each service is fuzzed on its own database (users and items on Postgres, tasks
on MariaDB, as they are deployed): the document is the same on both, and what each
operation does to either database is its API tests' business, which run on both.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.api_fuzzing import run_schemathesis
from testkit.apps import MODES


@dataclass(frozen=True)
class FuzzTarget:
    base_url: str
    # Where tokens come from (testkit.schemathesis_hooks): users itself, for users.
    users_url: str


@pytest.mark.e2e
@pytest.mark.parametrize("mode", list(MODES))
def test_schemathesis_finds_nothing(fuzz_target: FuzzTarget, tmp_path: Path, mode: str) -> None:
    run = run_schemathesis(
        fuzz_target.base_url,
        mode=mode,
        users_url=fuzz_target.users_url,
        workdir=tmp_path / "schemathesis",
    )

    assert run.passed, run.summary()
