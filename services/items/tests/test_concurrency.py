"""256 clients at once against a real uvicorn process, in both modes: item reads (a
database read, then a Redis round trip), list pages and searches.

Every request must succeed: no deadlock between the thread pool and the connection
pool in sync mode, no request dropped or refused. The load comes from raw keep-alive
connections (testkit.raw_http), so the server, not the test's client, is what is
busy; and there is no time budget to miss on a busy machine: the pool timeout is
generous, a deadlock still ends in 503s once it passes, and a request never answered
ends at the test's timeout. How fast is for `make bench`.
"""

import subprocess
import sys

import pytest

from testkit.apps import MODES
from testkit.raw_http import get_statuses

pytestmark = pytest.mark.e2e

CLIENTS = 256
REQUESTS = 1024
ITEMS = 500


@pytest.mark.parametrize("mode", list(MODES))
async def test_256_concurrent_clients_all_succeed(
    fresh_database_url, spawn_uvicorn, views_key_prefix, mode
):
    seed = [sys.executable, "-m", "items_service.seed", "--count", str(ITEMS), "--owners", "50"]
    subprocess.run(seed, env={"DATABASE_URL": fresh_database_url}, check=True)
    base_url = spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        DB_POOL_TIMEOUT="60",
        VIEWS_KEY_PREFIX=views_key_prefix,
    )
    prefix = MODES[mode]

    def path(n: int) -> str:
        if n % 4 == 0:
            return f"{prefix}/items?q=b&limit=20"
        if n % 4 == 1:
            return f"{prefix}/items?owner_id={n % 50 + 1}"
        return f"{prefix}/items/{n % ITEMS + 1}"

    statuses = await get_statuses(base_url, [path(n) for n in range(REQUESTS)], CLIENTS)

    assert statuses.count(200) == REQUESTS, sorted(set(statuses))
