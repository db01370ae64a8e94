"""The fault axis of `make bench`: the condition each cell is measured under, a wait put
into the running system through the services' fault switches (servicecontracts.faults).

- Upstream latency on users (`--upstream-latency`): ItemsOwners lists items with
  `expand=owner`, so every request of items waits on users for the owners; sync waits
  in one of items' pool threads, async awaits. This is the wait async is made for.
- A slow statement on items (`--slow-statement`), the service the scenario reads: each
  of its requests' sessions sleeps in the database first, the "slow query" case. Items
  rather than users because this is the request waiting on its own database; on users
  it would be one more upstream wait, which the latency axis measures already. Both
  modes hold one of items' pooled connections for the statement (DB_POOL_SIZE, 20), so
  expect the pool, not the thread pool, to bound both modes here.

The axis is a union, not a product: no fault, each latency alone, each slow statement
alone. 0 in either list is the no-fault baseline, measured once.
"""

import argparse
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from servicecontracts.faults import Fault

UPSTREAM_SERVICE = "users"
STATEMENT_SERVICE = "items"


@dataclass(frozen=True)
class Condition:
    upstream_latency_ms: int = 0
    slow_statement_ms: int = 0

    @property
    def label(self) -> str:
        parts = []
        if self.upstream_latency_ms:
            parts.append(f"{self.upstream_latency_ms} ms upstream latency")
        if self.slow_statement_ms:
            parts.append(f"slow statements of {self.slow_statement_ms} ms")
        return " and ".join(parts) or "no fault"

    @property
    def slug(self) -> str:
        """For file names: `no-fault`, `upstream-100ms`, `statement-50ms`."""
        parts = []
        if self.upstream_latency_ms:
            parts.append(f"upstream-{self.upstream_latency_ms}ms")
        if self.slow_statement_ms:
            parts.append(f"statement-{self.slow_statement_ms}ms")
        return "-".join(parts) or "no-fault"

    @property
    def order(self) -> tuple[bool, int, int]:
        """The axis order: no fault, the latencies rising, then the slow statements."""
        return (self.slow_statement_ms > 0, self.slow_statement_ms, self.upstream_latency_ms)

    def faults(
        self, upstream: str = UPSTREAM_SERVICE, statement: str = STATEMENT_SERVICE
    ) -> dict[str, Fault | None]:
        """Each switched service's fault under this condition; None: no fault (no key)."""
        settings: dict[str, dict[str, int]] = {upstream: {}, statement: {}}
        if self.upstream_latency_ms:
            settings[upstream]["latency_ms"] = self.upstream_latency_ms
        if self.slow_statement_ms:
            settings[statement]["slow_statement_ms"] = self.slow_statement_ms
        return {
            service: Fault.model_validate(fields) if fields else None
            for service, fields in settings.items()
        }


NO_FAULT = Condition()


def axis(upstream_latencies: Iterable[int], slow_statements: Iterable[int]) -> list[Condition]:
    """The conditions of a run, in axis order, the baseline first and once."""
    conditions = {NO_FAULT}
    conditions |= {Condition(upstream_latency_ms=ms) for ms in upstream_latencies}
    conditions |= {Condition(slow_statement_ms=ms) for ms in slow_statements}
    return sorted(conditions, key=lambda condition: condition.order)


def milliseconds(text: str) -> list[int]:
    """`0,20,100` -> [0, 20, 100]: whole milliseconds in the range a Fault takes."""
    values = set()
    for part in (part.strip() for part in text.split(",")):
        if not (part.isascii() and part.isdigit()):
            raise argparse.ArgumentTypeError(
                f"{part!r} is not a whole number of milliseconds, 0 or more (e.g. 0,20,100)"
            )
        try:  # the contract's own bounds, so the bench never writes a fault it refuses
            Fault(latency_ms=int(part))
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise argparse.ArgumentTypeError(f"{part} ms: {reason}") from None
        values.add(int(part))
    return sorted(values)
