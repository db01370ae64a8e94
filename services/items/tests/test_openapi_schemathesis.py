"""schemathesis against a real items process, with a real users process behind it (for
tokens and `?expand=owner`): the suite every service runs (testkit.suites.fuzzing), on
Postgres, where items is deployed."""

import pytest

from devstack.servers import RedisServer
from testkit.backends import only_on
from testkit.processes import SpawnUvicorn
from testkit.suites.fuzzing import (
    FuzzTarget,
    test_schemathesis_finds_nothing,  # noqa: F401 - collected here
)

pytestmark = only_on("postgres")


@pytest.fixture
def fuzz_target(
    spawn_uvicorn: SpawnUvicorn, fresh_database_url: str, users_beside: str, own_redis: RedisServer
) -> FuzzTarget:
    items = spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        USERS_URL=users_beside,
        REDIS_URL=own_redis.url,
    )
    return FuzzTarget(items, users_url=users_beside)
