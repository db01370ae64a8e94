"""The fault switch: this process's copy of its service's fault, switched at run time.

The fault of a service lives in Redis (`servicecontracts.faults`: a `Fault` as JSON
under `faults:<service>`, no key = off), so every replica follows one switch. With
FAULTS_ENABLED=true (never in production) each process reads the key every
FAULT_POLL_SECONDS; its own `/admin/fault` (servicekit.faults.admin) writes the key and
applies the change here at once. `servicekit.faults.effects` does what the fault says.

What can go wrong with the key never stops a service: a value that is not a valid
`Fault` is logged once and treated as off (never half applied), and while Redis is away
the process keeps the fault it has, logs it once and reads again until Redis answers.
"""

import asyncio
import logging

import redis
import redis.asyncio
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pydantic import ValidationError

from servicecontracts.faults import POLL_SECONDS, Fault, fault_key
from servicekit.observability.metrics import FaultMetrics

logger = logging.getLogger(__name__)


class FaultSwitch:
    """The fault this process applies; `run(redis)` keeps it in step with Redis."""

    def __init__(
        self,
        service: str,
        *,
        poll_seconds: float = POLL_SECONDS,
        metrics: FaultMetrics | None = None,
    ):
        self.service = service
        self.key = fault_key(service)
        # None while no fault is on: the one attribute the request path checks.
        self.fault: Fault | None = None
        self._poll_seconds = poll_seconds
        self._metrics = metrics
        # Bumped by every write: a read that a write overtook must not undo it.
        self._writes = 0
        self._reachable = True
        self._refused: bytes | str | None = None

    @property
    def current(self) -> Fault:
        """The fault in effect, all zeros when none is."""
        return self.fault or Fault()

    def apply(self, fault: Fault | None) -> None:
        """Puts `fault` in effect in this process (None or an inactive one: off)."""
        fault = fault if fault is not None and fault.active else None
        if fault == self.fault:
            return
        # Replaced whole, never changed in place: requests read it meanwhile.
        self.fault = fault
        if self._metrics:
            shown = self.current
            self._metrics.show(
                latency_seconds=shown.latency_ms / 1000,
                error_rate=shown.error_rate,
                slow_statement_seconds=shown.slow_statement_ms / 1000,
            )
        # A warning: a service that answers slowly or fails on purpose must say so.
        if fault is None:
            logger.warning("fault of %s is off", self.service)
        else:
            logger.warning("fault of %s is on: %s", self.service, _described(fault))

    async def write(self, client: redis.asyncio.Redis, fault: Fault | None) -> None:
        """Sets the fault of every replica (None: off) and applies it here at once; raises,
        changing nothing, when Redis is away."""
        if fault is None or not fault.active:
            await client.delete(self.key)
        else:
            await client.set(self.key, fault.model_dump_json())
        # Counted once Redis holds it: a read that was under way may have been answered
        # before the write, and must not apply the value it got.
        self._writes += 1
        self.apply(fault)

    async def refresh(self, client: redis.asyncio.Redis) -> None:
        """Reads the key once and applies what it holds."""
        writes = self._writes
        raw: bytes | str | None = await client.get(self.key)
        if writes != self._writes:
            return  # a write went on meanwhile, and applied itself
        self.apply(self._parsed(raw))

    def _parsed(self, raw: bytes | str | None) -> Fault | None:
        if raw is None:
            self._refused = None
            return None
        try:
            fault = Fault.model_validate_json(raw)
        except ValidationError as error:
            if raw != self._refused:  # once per bad value, not once a second
                logger.error(
                    "fault of %s ignored, %s holds no valid fault: %s",
                    self.service,
                    self.key,
                    "; ".join(_reasons(error)),
                )
                self._refused = raw
            return None
        self._refused = None
        return fault

    async def run(self, client: redis.asyncio.Redis) -> None:
        while True:
            try:
                # Housekeeping, not a request: no span a second.
                with suppress_instrumentation():
                    await self.refresh(client)
            except redis.RedisError as error:
                if self._reachable:
                    logger.warning(
                        "fault of %s not read from Redis, keeping %s: %s",
                        self.service,
                        _described(self.fault) if self.fault else "none",
                        error,
                    )
                self._reachable = False
            else:
                if not self._reachable:
                    logger.info("fault of %s read from Redis again", self.service)
                self._reachable = True
            _stop_if_cancelled()
            await asyncio.sleep(self._poll_seconds)


def _stop_if_cancelled() -> None:
    """Ends the task when it was cancelled. A cancellation that meets the client's close
    (the lifespan cancels, then closes) can end inside redis-py as a ConnectionError, or
    as nothing at all; the loop then polled on forever (a third of the shutdowns in a
    test), and an event loop waiting for its tasks at exit waited for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _described(fault: Fault) -> str:
    return (
        f"latency_ms={fault.latency_ms} error_rate={fault.error_rate} "
        f"slow_statement_ms={fault.slow_statement_ms}"
    )


def _reasons(error: ValidationError) -> list[str]:
    # Where and why, never the value: the log says what to fix without echoing input.
    return [
        f"{'.'.join(map(str, detail['loc'])) or 'value'}: {detail['msg']}"
        for detail in error.errors(include_url=False, include_input=False)
    ]
