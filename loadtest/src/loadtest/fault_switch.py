"""Puts a bench condition into the running system: each switched service's fault is
written to, or deleted from, the system's Redis (servicecontracts.faults), and the
services have read it before a cell measures. `switched_faults` deletes every key it
may have written when it ends, on error and Ctrl-C too: a fault left on would slow the
next run, or whoever uses that system after the bench.
"""

import contextlib
import time
from collections.abc import Iterator

import redis

from loadtest.conditions import STATEMENT_SERVICE, UPSTREAM_SERVICE, Condition
from servicecontracts.faults import POLL_SECONDS, fault_key

# Every service polls its key every POLL_SECONDS: after two, all have seen the change.
SETTLE_SECONDS = 2 * POLL_SECONDS


class FaultSwitch:
    def __init__(
        self,
        client: redis.Redis,
        *,
        upstream: str = UPSTREAM_SERVICE,
        statement: str = STATEMENT_SERVICE,
        settle_seconds: float = SETTLE_SECONDS,
    ):
        self._client = client
        self._services = (upstream, statement)
        self._settle_seconds = settle_seconds
        self._current: Condition | None = None

    def apply(self, condition: Condition) -> None:
        """Writes the condition's faults (every cell, so a key someone else cleared is
        back); waits for the services to read them only when the condition changed."""
        upstream, statement = self._services
        with self._client.pipeline() as writes:
            for service, fault in condition.faults(upstream, statement).items():
                if fault is None:
                    writes.delete(fault_key(service))
                else:
                    writes.set(fault_key(service), fault.model_dump_json())
            writes.execute()
        if condition != self._current:
            self._current = condition
            time.sleep(self._settle_seconds)

    def clear(self) -> None:
        self._client.delete(*(fault_key(service) for service in self._services))
        self._current = None


@contextlib.contextmanager
def switched_faults(
    redis_url: str,
    *,
    upstream: str = UPSTREAM_SERVICE,
    statement: str = STATEMENT_SERVICE,
    settle_seconds: float = SETTLE_SECONDS,
) -> Iterator[FaultSwitch]:
    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        switch = FaultSwitch(
            client, upstream=upstream, statement=statement, settle_seconds=settle_seconds
        )
        try:
            yield switch
        finally:
            switch.clear()
    finally:
        client.close()
