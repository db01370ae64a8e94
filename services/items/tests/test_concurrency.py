"""256 clients at once against a real uvicorn process, in both modes: item reads (a
database read, then a Redis round trip), list pages and searches.

Every request must succeed: no deadlock between the thread pool and the connection
pool in sync mode, no request starved past the pool timeout in async mode. How fast
is for `make bench`; this only checks that nothing fails.
"""

import asyncio
import subprocess
import sys

import httpx
import pytest

from servicekit.testing import MODES

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
        DB_POOL_TIMEOUT="5",
        VIEWS_KEY_PREFIX=views_key_prefix,
    )
    prefix = MODES[mode]
    # Idle connections expire on the client first (uvicorn closes them after 5 s): a
    # connection reused just as the server closes it would fail the request for nothing.
    limits = httpx.Limits(
        max_connections=CLIENTS, max_keepalive_connections=CLIENTS, keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def one(n: int) -> int:
            if n % 4 == 0:
                response = await client.get(f"{prefix}/items", params={"q": "b", "limit": 20})
            elif n % 4 == 1:
                response = await client.get(f"{prefix}/items", params={"owner_id": n % 50 + 1})
            else:
                response = await client.get(f"{prefix}/items/{n % ITEMS + 1}")
            return response.status_code

        statuses = await asyncio.gather(*(one(n) for n in range(REQUESTS)))
    assert statuses.count(200) == REQUESTS, sorted(set(statuses))
