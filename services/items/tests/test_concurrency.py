"""256 clients at once against a real items process: item reads (a database read, then
a Redis round trip), list pages and searches, the suite every service runs
(testkit.suites.crowds)."""

import subprocess
import sys

import pytest

from testkit.processes import SpawnUvicorn
from testkit.suites.crowds import (
    CrowdedService,
    test_256_concurrent_clients_all_succeed,  # noqa: F401 - collected here
)

ITEMS = 500
OWNERS = 50


@pytest.fixture
def crowded_service(
    fresh_database_url: str, spawn_uvicorn: SpawnUvicorn, views_key_prefix: str
) -> CrowdedService:
    seed = [sys.executable, "-m", "items_service.seed", "--count", str(ITEMS)]
    seed += ["--owners", str(OWNERS)]
    subprocess.run(seed, env={"DATABASE_URL": fresh_database_url}, check=True)
    base_url = spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        DB_POOL_TIMEOUT="60",
        VIEWS_KEY_PREFIX=views_key_prefix,
    )

    def path(prefix: str, n: int) -> str:
        if n % 4 == 0:
            return f"{prefix}/items?q=b&limit=20"
        if n % 4 == 1:
            return f"{prefix}/items?owner_id={n % OWNERS + 1}"
        return f"{prefix}/items/{n % ITEMS + 1}"

    return CrowdedService(base_url, path)
