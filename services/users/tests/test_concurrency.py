"""256 clients at once against a real users process: list pages and searches, the suite
every service runs (testkit.suites.crowds)."""

import subprocess
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest

from testkit.suites.crowds import (
    CrowdedService,
    test_256_concurrent_clients_all_succeed,  # noqa: F401 - collected here
)

if TYPE_CHECKING:
    from .conftest import SpawnUsers


@pytest.fixture
def crowded_service(fresh_database_url: str, spawn_users: "SpawnUsers") -> CrowdedService:
    seed = [sys.executable, "-m", "users_service.seed", "--count", "500"]
    subprocess.run(seed, env={"DATABASE_URL": fresh_database_url}, check=True)
    base_url = spawn_users(fresh_database_url, DB_POOL_TIMEOUT="60")

    def path(prefix: str, n: int) -> str:
        if n % 4 == 0:
            return f"{prefix}/users?{urlencode({'q': 'gr', 'limit': 20})}"
        return f"{prefix}/users?limit=50"

    return CrowdedService(base_url, path)
