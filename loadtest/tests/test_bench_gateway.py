"""`python -m loadtest.bench --gateway`: the comparison against a system that already
runs, as the chart's comparison Job runs it in a cluster (here: the local stack)."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from devstack.servers import RedisServer
from servicecontracts.faults import fault_key
from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_a_running_system_is_measured_in_both_modes(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "loadtest.bench", "--gateway", local_stack.gateway_url]
    command += ["--databases", "split", "--concurrency", "1,2", "--seconds", "5"]
    command += ["--warmup", "2", "--out", str(tmp_path)]

    done = subprocess.run(command, capture_output=True, text=True, timeout=200, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.loads((tmp_path / "cells.json").read_text())
    assert {(c["mode"], c["database"], c["concurrency"]) for c in cells} == {
        (mode, "split", level) for mode in ("async", "sync") for level in (1, 2)
    }
    # A cell of a few seconds on a busy machine may measure little; none may fail.
    assert [c["failures"] for c in cells] == [0] * len(cells)
    assert sum(c["requests"] for c in cells) > 0
    assert (tmp_path / "throughput.png").stat().st_size > 0
    assert "split" in (tmp_path / "report.md").read_text()


def test_the_fault_axis_writes_each_cells_fault_and_clears_it_at_the_end(
    local_stack: LocalStack, own_redis: RedisServer, tmp_path: Path
) -> None:
    """The faults go to a Redis of the test's own (the local stack's services do not read
    it): what is checked is what the bench writes, cell by cell, from Redis's own record
    of every change to the keys (keyspace notifications, buffered until read)."""
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    client.config_set("notify-keyspace-events", "Kg$")  # set, del: every write to a key
    changes = client.pubsub()  # type: ignore[no-untyped-call]  # unannotated in redis-py
    changes.psubscribe("__keyspace@0__:faults:*")
    command = [sys.executable, "-m", "loadtest.bench", "--gateway", local_stack.gateway_url]
    command += ["--databases", "split", "--redis-url", own_redis.url, "--upstream-latency", "0,20"]
    command += ["--concurrency", "1", "--seconds", "2", "--warmup", "1", "--out", str(tmp_path)]

    done = subprocess.run(command, capture_output=True, text=True, timeout=200, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    events = []
    while message := changes.get_message(timeout=1.0):  # None: all read
        if message["type"] == "pmessage":  # not the subscription's confirmation
            events.append((message["channel"].partition(":")[2], message["data"]))
    users, items = fault_key("users"), fault_key("items")
    # No fault: nothing to delete. 20 ms: users' fault written before each of its two
    # cells (async, sync). The end: deleted.
    assert events == [(users, "set"), (users, "set"), (users, "del")]
    assert client.exists(users, items) == 0
    cells = json.loads((tmp_path / "cells.json").read_text())
    assert [(c["upstream_latency_ms"], c["mode"]) for c in cells] == [
        (0, "async"),
        (0, "sync"),
        (20, "async"),
        (20, "sync"),
    ]
    assert [c["failures"] for c in cells] == [0] * len(cells)
    report = (tmp_path / "report.md").read_text()
    assert "## 20 ms upstream latency" in report
    assert "## Where async wins, and by how much" in report
    assert (tmp_path / "lead.png").stat().st_size > 0


def test_a_bench_stopped_in_a_faulted_cell_clears_the_fault(
    local_stack: LocalStack, own_redis: RedisServer, tmp_path: Path
) -> None:
    """SIGTERM (or Ctrl-C) while users' fault is on: the bench deletes it, then exits."""
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    client.config_set("notify-keyspace-events", "K$")  # string writes: set
    writes = client.pubsub()  # type: ignore[no-untyped-call]  # unannotated in redis-py
    writes.psubscribe("__keyspace@0__:faults:*")
    command = [sys.executable, "-m", "loadtest.bench", "--gateway", local_stack.gateway_url]
    command += ["--databases", "split", "--redis-url", own_redis.url, "--upstream-latency", "20"]
    # Long cells: the fault is on for 20 s, the stop lands inside that cell.
    command += ["--modes", "async", "--concurrency", "1", "--seconds", "20", "--warmup", "0"]
    command += ["--out", str(tmp_path)]
    bench = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Until the bench sets the fault (the subscription's confirmation comes first).
        while (message := writes.get_message(timeout=1.0)) is None or message["type"] != "pmessage":
            assert bench.poll() is None, "the bench ended before it set a fault"
        assert client.get(fault_key("users")) is not None

        bench.send_signal(signal.SIGTERM)
        _out, err = bench.communicate(timeout=120)
    finally:
        bench.kill()
        bench.wait()

    assert bench.returncode == 130, err[-3000:]
    assert "stopped by SIGTERM" in err
    assert client.exists(fault_key("users"), fault_key("items")) == 0


@pytest.mark.parametrize(
    "arguments",
    [
        ["--databases", "split"],
        ["--gateway", "http://127.0.0.1:9", "--databases", "postgres,mysql"],
        ["--gateway", "http://127.0.0.1:9", "--seed-only"],
    ],
    ids=["split-without-gateway", "two-labels", "seed-only"],
)
def test_what_does_not_fit_together_is_refused(arguments: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.bench", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert "error:" in done.stderr
