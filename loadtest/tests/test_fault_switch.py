"""The bench's fault switch against a real Redis (one of the test's own), with service
names of the test's own: each condition writes or deletes each key, and leaving the
switch deletes them, however it is left."""

from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
import redis

from devstack.servers import RedisServer
from loadtest.conditions import NO_FAULT, Condition
from loadtest.fault_switch import FaultSwitch, switched_faults
from servicecontracts.faults import Fault, fault_key

UPSTREAM = "bench-test-upstream"
STATEMENT = "bench-test-statement"


@pytest.fixture
def client(own_redis: RedisServer) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(own_redis.url) as connection:
        yield connection


def fault_of(client: redis.Redis, service: str) -> Fault | None:
    raw = client.get(fault_key(service))
    return None if raw is None else Fault.model_validate_json(raw)


def switch(redis_url: str) -> AbstractContextManager[FaultSwitch]:
    return switched_faults(redis_url, upstream=UPSTREAM, statement=STATEMENT, settle_seconds=0)


def test_each_cell_writes_its_condition_and_clears_the_rest(
    own_redis: RedisServer, client: redis.Redis
) -> None:
    with switch(own_redis.url) as faults:
        faults.apply(Condition(upstream_latency_ms=100))
        assert fault_of(client, UPSTREAM) == Fault(latency_ms=100)
        assert fault_of(client, STATEMENT) is None

        faults.apply(Condition(slow_statement_ms=50))
        assert fault_of(client, UPSTREAM) is None
        assert fault_of(client, STATEMENT) == Fault(slow_statement_ms=50)

        faults.apply(NO_FAULT)
        assert client.exists(fault_key(UPSTREAM), fault_key(STATEMENT)) == 0


def test_a_key_cleared_by_someone_else_is_back_at_the_next_cell(
    own_redis: RedisServer, client: redis.Redis
) -> None:
    with switch(own_redis.url) as faults:
        faults.apply(Condition(upstream_latency_ms=20))
        client.delete(fault_key(UPSTREAM))
        faults.apply(Condition(upstream_latency_ms=20))
        assert fault_of(client, UPSTREAM) == Fault(latency_ms=20)


@pytest.mark.parametrize("stop", [RuntimeError, KeyboardInterrupt])
def test_the_faults_are_cleared_at_the_end_even_on_error_or_ctrl_c(
    own_redis: RedisServer, client: redis.Redis, stop: type[BaseException]
) -> None:
    client.set(fault_key("someone-else"), Fault(latency_ms=5).model_dump_json())

    def a_run_that_stops() -> None:
        with switch(own_redis.url) as faults:
            faults.apply(Condition(upstream_latency_ms=100))
            faults.apply(Condition(slow_statement_ms=50))
            raise stop

    with pytest.raises(stop):
        a_run_that_stops()

    assert client.exists(fault_key(UPSTREAM), fault_key(STATEMENT)) == 0
    assert fault_of(client, "someone-else") == Fault(latency_ms=5)  # not the bench's
