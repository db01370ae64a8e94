"""256 clients at once against a real uvicorn process, in both modes.

Every request must succeed: no deadlock between the thread pool and the connection
pool in sync mode, no request dropped or refused. The load comes from raw keep-alive
connections (testkit.raw_http), so the server, not the test's client, is what is
busy; and there is no time budget to miss on a busy machine: the pool timeout is
generous, a deadlock still ends in 503s once it passes, and a request never answered
ends at the test's timeout. How fast is for `make bench`.
"""

import subprocess
import sys
from urllib.parse import urlencode

import pytest

from testkit.apps import MODES
from testkit.raw_http import get_statuses

pytestmark = pytest.mark.e2e

CLIENTS = 256
REQUESTS = 1024


@pytest.mark.parametrize("mode", list(MODES))
async def test_256_concurrent_clients_all_succeed(fresh_database_url, spawn_users, mode):
    seed = [sys.executable, "-m", "users_service.seed", "--count", "500"]
    subprocess.run(seed, env={"DATABASE_URL": fresh_database_url}, check=True)
    base_url = spawn_users(fresh_database_url, DB_POOL_TIMEOUT="60")
    prefix = MODES[mode]
    search = f"{prefix}/users?{urlencode({'q': 'gr', 'limit': 20})}"
    page = f"{prefix}/users?limit=50"
    paths = [search if n % 4 == 0 else page for n in range(REQUESTS)]

    statuses = await get_statuses(base_url, paths, connections=CLIENTS)

    assert statuses.count(200) == REQUESTS, sorted(set(statuses))
