"""Snowflake ids and the worker-id lease, against a real Redis."""

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from servicekit.core.ids import (
    EPOCH_MS,
    MAX_SEQUENCE,
    MAX_WORKER_ID,
    SnowflakeGenerator,
    WorkerIdLease,
    parse,
)

# 2025-06-01T00:00:00.123Z, in nanoseconds.
NOW_NS = 1_748_736_000_123 * 1_000_000


class SteppingClock:
    """A clock that returns the given milliseconds in turn, then stays on the last one."""

    def __init__(self, *milliseconds: int) -> None:
        self._readings = list(milliseconds)

    def __call__(self) -> int:
        reading = self._readings.pop(0) if len(self._readings) > 1 else self._readings[0]
        return reading * 1_000_000 + 999_999  # sub-millisecond digits are dropped


def strictly_increasing(ids: list[int]) -> bool:
    return all(earlier < later for earlier, later in itertools.pairwise(ids))


def fixed_clock(ns: int = NOW_NS) -> Callable[[], int]:
    return lambda: ns


def test_ids_increase_strictly_within_a_thread() -> None:
    generator = SnowflakeGenerator(worker_id=7)
    ids = [generator.next_id() for _ in range(50_000)]
    assert strictly_increasing(ids)


def test_ids_are_positive_signed_64_bit_integers() -> None:
    snowflake = SnowflakeGenerator(worker_id=MAX_WORKER_ID).next_id()
    assert 0 < snowflake < 2**63


def test_ids_are_unique_across_threads() -> None:
    generator = SnowflakeGenerator(worker_id=3)
    per_thread: list[list[int]] = [[] for _ in range(8)]
    start = threading.Barrier(len(per_thread))

    def make(out: list[int]) -> None:
        start.wait()
        out.extend(generator.next_id() for _ in range(20_000))

    threads = [threading.Thread(target=make, args=(out,)) for out in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every_id = [snowflake for out in per_thread for snowflake in out]
    assert len(every_id) == 8 * 20_000
    assert len(set(every_id)) == len(every_id)
    for out in per_thread:
        assert strictly_increasing(out)


def test_parse_round_trips_time_worker_and_sequence() -> None:
    generator = SnowflakeGenerator(worker_id=613, clock=fixed_clock())
    first, second, third = (generator.next_id() for _ in range(3))

    assert parse(first) == (NOW_NS // 1_000_000, 613, 0)
    assert parse(second) == (NOW_NS // 1_000_000, 613, 1)
    assert parse(third) == (NOW_NS // 1_000_000, 613, 2)


def test_a_new_millisecond_restarts_the_sequence() -> None:
    ms = NOW_NS // 1_000_000
    generator = SnowflakeGenerator(worker_id=1, clock=SteppingClock(ms, ms, ms + 1))
    ids = [generator.next_id() for _ in range(3)]
    assert [parse(snowflake) for snowflake in ids] == [(ms, 1, 0), (ms, 1, 1), (ms + 1, 1, 0)]


def test_a_clock_stepping_back_never_yields_a_smaller_or_repeated_id() -> None:
    ms = NOW_NS // 1_000_000
    readings = [ms, ms + 5, ms + 5, ms - 1_000, ms - 2_000, ms + 4, ms + 5, ms + 6, ms + 6, ms + 7]
    generator = SnowflakeGenerator(worker_id=9, clock=SteppingClock(*readings))
    ids = [generator.next_id() for _ in readings]

    assert strictly_increasing(ids)
    # While the clock is behind, ids stay on the last timestamp seen.
    assert {parse(snowflake)[0] for snowflake in ids[1:7]} == {ms + 5}
    assert parse(ids[-1])[0] == ms + 7


def test_sequence_overflow_borrows_the_next_millisecond() -> None:
    ms = NOW_NS // 1_000_000
    clock = SteppingClock(ms)
    generator = SnowflakeGenerator(worker_id=2, clock=clock)
    ids = [generator.next_id() for _ in range(MAX_SEQUENCE + 2)]

    assert parse(ids[MAX_SEQUENCE]) == (ms, 2, MAX_SEQUENCE)
    assert parse(ids[MAX_SEQUENCE + 1]) == (ms + 1, 2, 0)
    assert len(set(ids)) == len(ids)
    # When the wall clock reaches the borrowed millisecond, it does not repeat an id.
    clock._readings = [ms + 1]
    after = generator.next_id()
    assert after > ids[-1]
    assert parse(after) == (ms + 1, 2, 1)


def test_timestamps_count_from_the_epoch() -> None:
    generator = SnowflakeGenerator(worker_id=0, clock=fixed_clock((EPOCH_MS + 1) * 1_000_000))
    assert generator.next_id() == 1 << 22


@pytest.mark.parametrize("worker_id", [-1, MAX_WORKER_ID + 1])
def test_worker_ids_out_of_range_are_refused(worker_id: int) -> None:
    with pytest.raises(ValueError, match="worker id"):
        SnowflakeGenerator(worker_id=worker_id)
    generator = SnowflakeGenerator()
    with pytest.raises(ValueError, match="worker id"):
        generator.assign(worker_id)
    assert generator.worker_id is None


@pytest.mark.parametrize("worker_id", [0, MAX_WORKER_ID])
def test_worker_ids_at_the_bounds_are_accepted(worker_id: int) -> None:
    generator = SnowflakeGenerator(worker_id=worker_id, clock=fixed_clock())
    assert parse(generator.next_id())[1] == worker_id


def test_next_id_without_a_worker_id_raises() -> None:
    generator = SnowflakeGenerator()
    with pytest.raises(RuntimeError, match="WORKER_ID"):
        generator.next_id()
    generator.assign(4)
    assert parse(generator.next_id())[1] == 4


# The lease, against the real Redis.


@pytest.fixture
def leases(redis_url: str, redis_client: redis.Redis) -> Iterator[list[WorkerIdLease]]:
    """`leases.append(WorkerIdLease(...))`: each is stopped at the end and its keys removed."""
    made: list[WorkerIdLease] = []
    yield made
    for lease in made:
        held = lease._worker_id
        lease.stop()
        if held is not None and redis_client.get(WorkerIdLease.KEY.format(held)) == lease._token:
            redis_client.delete(WorkerIdLease.KEY.format(held))


def key_of(worker_id: int | None) -> str:
    assert worker_id is not None
    return WorkerIdLease.KEY.format(worker_id)


def test_two_leases_hold_different_worker_ids(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    first, second = SnowflakeGenerator(), SnowflakeGenerator()
    leases.extend([WorkerIdLease(redis_url, first), WorkerIdLease(redis_url, second)])

    ids = [lease.start() for lease in leases]

    assert ids[0] != ids[1]
    assert [first.worker_id, second.worker_id] == ids
    for lease, worker_id in zip(leases, ids, strict=True):
        assert redis_client.get(key_of(worker_id)) == lease._token
        assert 0 < redis_client.ttl(key_of(worker_id)) <= 30


def test_stop_releases_the_key(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    lease = WorkerIdLease(redis_url, SnowflakeGenerator())
    leases.append(lease)
    worker_id = lease.start()
    assert redis_client.exists(key_of(worker_id))

    lease.stop()

    assert not redis_client.exists(key_of(worker_id))


def test_stop_leaves_a_key_held_by_another_token(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    lease = WorkerIdLease(redis_url, SnowflakeGenerator())
    leases.append(lease)
    worker_id = lease.start()
    redis_client.set(key_of(worker_id), "another-process", ex=30)
    try:
        lease.stop()
        assert redis_client.get(key_of(worker_id)) == "another-process"
    finally:
        redis_client.delete(key_of(worker_id))


def test_renew_claims_a_lost_key_again_with_the_same_id(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    generator = SnowflakeGenerator()
    lease = WorkerIdLease(redis_url, generator)
    leases.append(lease)
    worker_id = lease.start()
    redis_client.delete(key_of(worker_id))  # Redis restarted without its data

    lease.renew()

    assert generator.worker_id == worker_id
    assert redis_client.get(key_of(worker_id)) == lease._token
    assert redis_client.ttl(key_of(worker_id)) > 0


def test_renew_extends_the_ttl(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    lease = WorkerIdLease(redis_url, SnowflakeGenerator(), ttl_seconds=30)
    leases.append(lease)
    worker_id = lease.start()
    redis_client.expire(key_of(worker_id), 5)

    lease.renew()

    assert redis_client.ttl(key_of(worker_id)) > 5


def test_renew_moves_to_another_id_when_the_key_was_taken(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    generator = SnowflakeGenerator()
    lease = WorkerIdLease(redis_url, generator)
    leases.append(lease)
    lost = lease.start()
    redis_client.set(key_of(lost), "another-process", ex=30)
    try:
        lease.renew()

        moved = generator.worker_id
        assert moved is not None
        assert moved != lost
        assert redis_client.get(key_of(moved)) == lease._token
        assert redis_client.get(key_of(lost)) == "another-process"
        assert parse(generator.next_id())[1] == moved
    finally:
        redis_client.delete(key_of(lost))


def test_the_renewal_thread_keeps_the_lease_past_its_ttl(
    redis_url: str, redis_client: redis.Redis, leases: list[WorkerIdLease]
) -> None:
    lease = WorkerIdLease(redis_url, SnowflakeGenerator(), ttl_seconds=1)
    leases.append(lease)
    worker_id = lease.start()

    time.sleep(2.5)  # more than twice the TTL: only renewals keep the key alive

    assert redis_client.get(key_of(worker_id)) == lease._token


def test_start_without_redis_fails_fast_and_names_worker_id(closed_port: int) -> None:
    generator = SnowflakeGenerator()
    lease = WorkerIdLease(f"redis://127.0.0.1:{closed_port}/0", generator)
    with pytest.raises(RuntimeError, match="WORKER_ID"):
        lease.start()
    assert generator.worker_id is None
    lease.stop()
