"""The fault switch against a real Redis: it follows the key, ignores what is not a
fault, rides out a Redis outage, says when the fault changes and shows it as a gauge."""

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio
from prometheus_client import CollectorRegistry

from devstack.ports import free_port
from devstack.servers import RedisServer
from servicecontracts.faults import POLL_SECONDS, Fault, fault_key
from servicekit.core.settings import ServiceSettings
from servicekit.faults.switch import FaultSwitch
from servicekit.observability.metrics import FaultMetrics

# Ample: every wait below ends as soon as what it waits for happens.
WAIT_SECONDS = 20.0


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def switch(client: redis.asyncio.Redis) -> AsyncIterator[FaultSwitch]:
    # A name of its own: other suites share this Redis.
    switch = FaultSwitch(f"probe-{secrets.token_hex(4)}", poll_seconds=0.05)
    yield switch
    await client.delete(switch.key)


def test_the_switch_reads_the_contracts_key_as_often_as_writers_expect(jwt_public_key: str) -> None:
    settings = ServiceSettings(database_url="postgresql://db/x", jwt_public_key=jwt_public_key)

    assert FaultSwitch("users").key == fault_key("users")
    assert settings.fault_poll_seconds == POLL_SECONDS


async def test_a_fault_set_in_redis_is_applied_and_its_removal_turns_it_off(
    switch: FaultSwitch, client: redis.asyncio.Redis
) -> None:
    fault = Fault(latency_ms=100, error_rate=0.25, slow_statement_ms=20)

    await client.set(switch.key, fault.model_dump_json())
    await switch.refresh(client)
    assert switch.fault == fault

    await client.delete(switch.key)
    await switch.refresh(client)
    assert switch.fault is None
    assert switch.current == Fault()


async def test_an_inactive_fault_is_no_fault(
    switch: FaultSwitch, client: redis.asyncio.Redis
) -> None:
    await client.set(switch.key, Fault().model_dump_json())
    await switch.refresh(client)

    assert switch.fault is None


@pytest.mark.parametrize(
    "stored",
    [
        b"not json",
        b'{"latency_ms": -5}',
        b'{"latency_ms": 100, "error_rate": 2}',
        b'{"latency_ms": 100, "jitter_ms": 5}',
        b'["latency_ms", 100]',
        b"\xff\xfe",
    ],
)
async def test_a_malformed_value_is_logged_once_and_treated_as_off(
    switch: FaultSwitch,
    client: redis.asyncio.Redis,
    caplog: pytest.LogCaptureFixture,
    stored: bytes,
) -> None:
    switch.apply(Fault(latency_ms=100))
    await client.set(switch.key, stored)

    with caplog.at_level(logging.WARNING, logger="servicekit.faults.switch"):
        for _ in range(3):
            await switch.refresh(client)

    assert switch.fault is None  # off, never half of it
    refusals = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(refusals) == 1
    assert switch.key in refusals[0].getMessage()


async def test_a_good_value_after_a_bad_one_is_applied(
    switch: FaultSwitch, client: redis.asyncio.Redis
) -> None:
    await client.set(switch.key, b'{"latency_ms": "slow"}')
    await switch.refresh(client)
    await client.set(switch.key, Fault(latency_ms=5).model_dump_json())
    await switch.refresh(client)

    assert switch.fault == Fault(latency_ms=5)


async def test_the_running_switch_follows_the_key_without_a_restart(
    switch: FaultSwitch, client: redis.asyncio.Redis
) -> None:
    running = asyncio.create_task(switch.run(client))
    try:
        await client.set(switch.key, Fault(error_rate=1.0).model_dump_json())
        await eventually(lambda: switch.fault == Fault(error_rate=1.0))

        await client.delete(switch.key)
        await eventually(lambda: switch.fault is None)
    finally:
        running.cancel()


async def test_a_write_sets_every_replica_and_this_one_at_once(
    switch: FaultSwitch, client: redis.asyncio.Redis
) -> None:
    other_replica = FaultSwitch(switch.service)

    await switch.write(client, Fault(latency_ms=30))
    assert switch.fault == Fault(latency_ms=30)  # before any read
    await other_replica.refresh(client)
    assert other_replica.fault == Fault(latency_ms=30)

    await switch.write(client, None)
    assert switch.fault is None
    assert await client.get(switch.key) is None


async def test_redis_away_keeps_the_fault_and_the_switch_recovers_by_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    client = redis.asyncio.Redis.from_url(
        f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5, socket_timeout=0.5
    )
    switch = FaultSwitch("probe", poll_seconds=0.05)
    switch.apply(Fault(latency_ms=100))
    running = asyncio.create_task(switch.run(client))
    try:
        with caplog.at_level(logging.INFO, logger="servicekit.faults.switch"):
            await eventually(lambda: any("not read" in r.getMessage() for r in caplog.records))
            await asyncio.sleep(0.3)  # several failed reads: the switch keeps running
            assert not running.done()
            assert switch.fault == Fault(latency_ms=100)

            with RedisServer(tmp_path / "redis", port):
                await client.set(switch.key, Fault(error_rate=0.5).model_dump_json())
                await eventually(lambda: switch.fault == Fault(error_rate=0.5))

        outage_lines = [r for r in caplog.records if "not read" in r.getMessage()]
        assert len(outage_lines) == 1  # once per outage, not once per read
        assert any("read from Redis again" in r.getMessage() for r in caplog.records)
    finally:
        running.cancel()
        await client.aclose()


def test_every_change_is_a_warning_and_no_change_is_silent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    switch = FaultSwitch("probe")

    with caplog.at_level(logging.INFO, logger="servicekit.faults.switch"):
        switch.apply(Fault(latency_ms=100))
        switch.apply(Fault(latency_ms=100))
        switch.apply(None)
        switch.apply(None)

    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            logging.WARNING,
            "fault of probe is on: latency_ms=100 error_rate=0.0 slow_statement_ms=0",
        ),
        (logging.WARNING, "fault of probe is off"),
    ]


def test_the_gauge_shows_each_kind_of_the_fault_in_effect() -> None:
    registry = CollectorRegistry()
    switch = FaultSwitch("probe", metrics=FaultMetrics(registry, "probe"))

    def shown() -> dict[str, float | None]:
        return {
            kind: registry.get_sample_value(
                "servicekit_fault_active", {"service": "probe", "kind": kind}
            )
            for kind in FaultMetrics.KINDS
        }

    assert shown() == {"latency_seconds": 0, "error_rate": 0, "slow_statement_seconds": 0}
    switch.apply(Fault(latency_ms=250, error_rate=0.5, slow_statement_ms=1500))
    assert shown() == {"latency_seconds": 0.25, "error_rate": 0.5, "slow_statement_seconds": 1.5}
    switch.apply(None)
    assert shown() == {"latency_seconds": 0, "error_rate": 0, "slow_statement_seconds": 0}


async def test_a_cancelled_switch_stops_even_when_its_client_closes_meanwhile(
    redis_url: str,
) -> None:
    # What the lifespan does at shutdown: cancel the task, then close the client. Some of
    # those cancellations used to vanish inside redis-py and the loop polled on forever.
    tasks = []
    for attempt in range(40):
        client = redis.asyncio.Redis.from_url(redis_url)
        task = asyncio.create_task(FaultSwitch("probe", poll_seconds=0.001).run(client))
        await asyncio.sleep(0.0005 * attempt)  # at a different point of its loop each time
        task.cancel()
        await client.aclose()
        tasks.append(task)

    _, pending = await asyncio.wait(tasks, timeout=WAIT_SECONDS)

    assert not pending
