"""schemathesis against a real users process, which also hands out the tokens: the suite
every service runs (testkit.suites.fuzzing), on Postgres, where users is deployed."""

from typing import TYPE_CHECKING

import pytest

from devstack.servers import RedisServer
from testkit.backends import only_on
from testkit.suites.fuzzing import (
    FuzzTarget,
    test_schemathesis_finds_nothing,  # noqa: F401 - collected here
)

if TYPE_CHECKING:
    from .conftest import SpawnUsers

pytestmark = only_on("postgres")


@pytest.fixture
def fuzz_target(
    spawn_users: "SpawnUsers", fresh_database_url: str, own_redis: RedisServer
) -> FuzzTarget:
    users = spawn_users(fresh_database_url, REDIS_URL=own_redis.url)
    return FuzzTarget(users, users_url=users)
