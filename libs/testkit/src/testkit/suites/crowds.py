"""256 clients at once against a real uvicorn process, in both modes, on both databases
(the drivers and their pools are each database's own).

Every request must succeed: no deadlock between the thread pool and the connection
pool in sync mode, no request dropped or refused. The load comes from raw keep-alive
connections (testkit.raw_http), so the server, not the test's client, is what is
busy; and there is no time budget to miss on a busy machine: the pool timeout is
generous, a deadlock still ends in 503s once it passes, and a request never answered
ends at the test's timeout. How fast is for `make bench`.

A service's module imports `test_256_concurrent_clients_all_succeed` and provides
`crowded_service`, a `CrowdedService`: its process, seeded and started with
`DB_POOL_TIMEOUT=60`, and the reads to send under a mode's path prefix.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from testkit.apps import MODES
from testkit.raw_http import get_statuses

CLIENTS = 256
REQUESTS = 1024


@dataclass(frozen=True)
class CrowdedService:
    base_url: str
    # (mode's path prefix, n) -> the path of the n-th request.
    path: Callable[[str, int], str]


@pytest.mark.e2e
@pytest.mark.parametrize("mode", list(MODES))
async def test_256_concurrent_clients_all_succeed(
    crowded_service: CrowdedService, mode: str
) -> None:
    paths = [crowded_service.path(MODES[mode], n) for n in range(REQUESTS)]

    statuses = await get_statuses(crowded_service.base_url, paths, connections=CLIENTS)

    assert statuses.count(200) == REQUESTS, sorted(set(statuses))
