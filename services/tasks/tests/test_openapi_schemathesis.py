"""schemathesis against a real tasks process, with a real users process for tokens: the
suite every service runs (testkit.suites.fuzzing), on MariaDB, where tasks is deployed."""

import pytest

from devstack.servers import RedisServer
from testkit.backends import only_on
from testkit.processes import SpawnUvicorn
from testkit.suites.fuzzing import (
    FuzzTarget,
    test_schemathesis_finds_nothing,  # noqa: F401 - collected here
)

pytestmark = only_on("mysql")


@pytest.fixture
def fuzz_target(
    spawn_uvicorn: SpawnUvicorn, fresh_database_url: str, users_beside: str, own_redis: RedisServer
) -> FuzzTarget:
    tasks = spawn_uvicorn(
        "tasks_service.main:app", DATABASE_URL=fresh_database_url, REDIS_URL=own_redis.url
    )
    return FuzzTarget(tasks, users_url=users_beside)
