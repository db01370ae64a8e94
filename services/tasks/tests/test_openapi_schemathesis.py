"""schemathesis against a real tasks process, with a real users process for tokens: the
suite every service runs (testkit.suites.fuzzing), on MariaDB, where tasks is deployed."""

import pytest

from testkit.backends import only_on
from testkit.suites.fuzzing import (
    FuzzTarget,
    test_schemathesis_finds_nothing,  # noqa: F401 - collected here
)

pytestmark = only_on("mysql")


@pytest.fixture
def fuzz_target(spawn_uvicorn, fresh_database_url: str, users_beside: str, own_redis) -> FuzzTarget:
    tasks = spawn_uvicorn(
        "tasks_service.main:app", DATABASE_URL=fresh_database_url, REDIS_URL=own_redis.url
    )
    return FuzzTarget(tasks, users_url=users_beside)
