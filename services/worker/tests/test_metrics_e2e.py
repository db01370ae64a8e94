"""The worker's /metrics, scraped over HTTP from real workers (prefork pool, two pool
processes) on a private Redis: job runs summed over the pool processes, what counts as a
run and how it ended, and the backlogs read from Redis, with and without Redis.

Where a test must hold jobs back, it stops the pool processes (SIGSTOP): the main
process still takes messages from Redis and serves /metrics, and nothing depends on
how fast anything runs.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import redis
from celery import Celery
from prometheus_client.parser import text_string_to_metric_families

from devstack.servers import RedisServer
from servicecontracts.job_messages import JobMessage
from servicecontracts.view_counts import ViewKeys
from servicekit.clients.jobs import send_job

if TYPE_CHECKING:
    from .conftest import Events

if TYPE_CHECKING:
    from .conftest import Beat, Events, JobTable, Worker

KINDS = (
    "compute.digest",
    "reports.user_summary",
    "counters.flush_item_views",
    "jobs.resend_lost",
    "health.heartbeat",
)
COUNTERS = (
    "jobs_started_total",
    "jobs_succeeded_total",
    "jobs_failed_total",
    "jobs_retried_total",
)


class Metrics:
    """One scrape: sample name -> {labels: value}."""

    def __init__(self, text: str) -> None:
        self.samples: dict[str, dict[frozenset[tuple[str, str]], float]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                by_labels = self.samples.setdefault(sample.name, {})
                by_labels[frozenset(sample.labels.items())] = sample.value

    def get(self, name: str, **labels: str) -> float | None:
        return self.samples.get(name, {}).get(frozenset(labels.items()))

    def job(self, name: str, kind: str) -> float | None:
        return self.get(name, service="worker", kind=kind)

    def runs(self, kind: str) -> dict[str, float | None]:
        """The four counters and the duration count of one kind."""
        names = (*COUNTERS, "job_duration_seconds_count")
        return {name: self.job(name, kind) for name in names}

    def gauge(self, name: str) -> float | None:
        return self.get(name, service="worker")


def scrape(worker: "Worker") -> Metrics:
    response = httpx.get(worker.metrics_url, timeout=10)
    assert response.status_code == 200, response.text
    return Metrics(response.text)


def wait_for(worker: "Worker", check: Callable[[Metrics], bool], timeout: float = 60) -> Metrics:
    """The first scrape that passes `check` (counts are written after a job's record)."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = scrape(worker)
        if check(metrics):
            return metrics
        assert time.monotonic() < deadline, f"not reached in {timeout} s: {metrics.samples}"
        time.sleep(0.2)


def runs(started: int, succeeded: int = 0, failed: int = 0, retried: int = 0) -> dict[str, Any]:
    return {
        "jobs_started_total": started,
        "jobs_succeeded_total": succeeded,
        "jobs_failed_total": failed,
        "jobs_retried_total": retried,
        "job_duration_seconds_count": succeeded + failed + retried,
    }


def pool_pids(worker: "Worker") -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(worker.process.pid)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


@contextlib.contextmanager
def pool_stopped(worker: "Worker") -> Iterator[list[int]]:
    """The pool processes, stopped: messages are taken (up to the prefetch) and wait."""
    pids = pool_pids(worker)
    assert len(pids) == 2, pids
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def idle(worker: "Worker", events: "Events") -> None:
    """Waits for the heartbeat the worker sends itself on start to have run."""
    events.wait(name="health.heartbeat", event="finished")
    wait_for(worker, lambda m: m.job("jobs_succeeded_total", "health.heartbeat") == 1)


def test_every_kind_is_there_from_the_start(
    broker_url: str, spawn_worker: "Callable[..., Worker]"
) -> None:
    worker = spawn_worker(broker_url)

    metrics = scrape(worker)

    for kind in KINDS:
        for name in (*COUNTERS, "job_duration_seconds_count"):
            assert metrics.job(name, kind) is not None, (name, kind)
    # Nothing ran but the heartbeat the worker sends itself when it starts.
    for kind in KINDS[:-1]:
        assert metrics.runs(kind) == runs(0), kind
    assert metrics.job("jobs_failed_total", "health.heartbeat") == 0
    # Buckets up to the hard time limit.
    top = metrics.get("job_duration_seconds_bucket", service="worker", kind=KINDS[0], le="180.0")
    assert top == 0


def test_runs_of_both_pool_processes_are_summed(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    submitter: Celery,
    events: "Events",
    job_table: "JobTable",
    tmp_path: Path,
) -> None:
    values = tmp_path / "prometheus"
    worker = spawn_worker(broker_url, PROMETHEUS_MULTIPROC_DIR=str(values))
    idle(worker, events)

    with pool_stopped(worker) as pids:
        # The two taken first go one to each pool process; the rest follow.
        sleeps = [f"sleep-{n}-{time.monotonic_ns()}" for n in range(2)]
        for job in sleeps:
            send_job(submitter, JobMessage(job, "testing.sleep", {"seconds": 0.2}))
        digests = [submit("compute.digest", {"data": f"d{n}", "rounds": 100}) for n in range(4)]
    for job in sleeps:
        events.wait(id=job, event="finished")
    for job_id in digests:
        assert job_table.wait_until_ended(job_id)["status"] == "succeeded"

    metrics = wait_for(worker, lambda m: m.job("jobs_succeeded_total", "compute.digest") == 4)
    assert metrics.runs("compute.digest") == runs(4, succeeded=4)
    assert metrics.runs("testing.sleep") == runs(2, succeeded=2)
    # Each pool process counted in files of its own.
    assert {f"counter_{pid}.db" for pid in pids} <= {path.name for path in values.iterdir()}

    # A pool process that dies takes none of its counts with it.
    os.kill(pids[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while pids[0] in (now := pool_pids(worker)) or len(now) != 2:
        assert time.monotonic() < deadline, now
        time.sleep(0.2)
    assert scrape(worker).runs("compute.digest") == runs(4, succeeded=4)


def test_a_failed_job_counts_as_failed_and_a_redelivery_counts_not(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    submitter: Celery,
    events: "Events",
    job_table: "JobTable",
) -> None:
    # One pool process: jobs run one after the other, so once the last one is counted,
    # everything before it is too.
    worker = spawn_worker(broker_url, concurrency=1)
    failing = submit("compute.digest", {"data": "x", "rounds": 0})
    good = submit("compute.digest", {"data": "y", "rounds": 1})
    assert job_table.wait_until_ended(failing)["status"] == "failed"
    assert job_table.wait_until_ended(good)["status"] == "succeeded"

    # The same message again, as after a crash before its acknowledgement.
    send_job(submitter, JobMessage(good, "compute.digest", {"data": "y", "rounds": 1}))
    events.wait(id=str(good), event="finished", retval="already succeeded")
    last = submit("compute.digest", {"data": "z", "rounds": 1})

    assert job_table.wait_until_ended(last)["status"] == "succeeded"
    metrics = wait_for(worker, lambda m: m.job("jobs_succeeded_total", "compute.digest") == 2)
    assert metrics.runs("compute.digest") == runs(3, succeeded=2, failed=1)


def test_a_retried_job_counts_each_run(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        gone = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = {"USERS_URL": gone, "ITEMS_URL": gone, "TASKS_URL": gone, "JOB_MAX_RETRIES": "1"}
    worker = spawn_worker(broker_url, **env)

    job_id = submit("reports.user_summary", {"user_id": 1}, token="a-token")

    job = job_table.wait_until_ended(job_id)
    assert (job["status"], job["attempts"]) == ("failed", 2)
    kind = "reports.user_summary"
    metrics = wait_for(worker, lambda m: m.job("jobs_failed_total", kind) == 1)
    assert metrics.runs(kind) == runs(2, failed=1, retried=1)


def test_queued_and_unacknowledged_messages(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
    events: "Events",
) -> None:
    worker = spawn_worker(broker_url)
    idle(worker, events)
    metrics = scrape(worker)
    own_queue = f"w1@{socket.gethostname()}.dq2"
    assert metrics.get("jobs_queue_messages", service="worker", queue=own_queue) == 0
    assert metrics.get("jobs_queue_messages", service="worker", queue="celery") == 0
    assert metrics.gauge("jobs_unacked_messages") == 0

    with pool_stopped(worker):
        jobs = [submit("compute.digest", {"data": f"q{n}", "rounds": 1}) for n in range(5)]

        def held(m: Metrics) -> bool:
            queued = m.get("jobs_queue_messages", service="worker", queue="celery")
            return queued == 3 and m.gauge("jobs_unacked_messages") == 2

        # Each of the two pool processes got one message (prefetch 1); three wait.
        wait_for(worker, held)

    for job_id in jobs:
        assert job_table.wait_until_ended(job_id)["status"] == "succeeded"

    def drained(m: Metrics) -> bool:
        queued = m.get("jobs_queue_messages", service="worker", queue="celery")
        return queued == 0 and m.gauge("jobs_unacked_messages") == 0

    wait_for(worker, drained)


def test_view_deltas_and_flush_lag(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    spawn_beat: "Callable[..., Beat]",
    items_databases: dict[str, str],
    views_key_prefix: str,
) -> None:
    worker = spawn_worker(broker_url, ITEMS_DATABASE_URL=items_databases["postgres"])
    keys = ViewKeys(views_key_prefix)
    flushed_at = keys.flushed_at
    with redis.Redis.from_url(broker_url) as client:
        for item_id in (1, 2, 3):  # rows that do not exist: their counts are dropped
            client.hincrby(keys.pending, str(item_id), 2)
        client.hincrby(keys.flushing, "4", 1)  # a flush cut short

        metrics = scrape(worker)
        assert metrics.gauge("items_view_deltas_pending") == 4
        assert metrics.gauge("items_view_flush_lag_seconds") is None  # no flush yet

        beat = spawn_beat(worker, FLUSH_INTERVAL_SECONDS="1")
        metrics = wait_for(worker, lambda m: m.gauge("items_view_deltas_pending") == 0)
        wait_for(worker, lambda m: m.gauge("items_view_flush_lag_seconds") is not None)
        # A flush with nothing to flush is a completed flush too.
        client.delete(flushed_at)
        wait_for(worker, lambda m: m.gauge("items_view_flush_lag_seconds") is not None)

        beat.process.terminate()
        assert beat.process.wait(timeout=15) == 0
        client.set(flushed_at, repr(time.time() - 3600))
        lag = scrape(worker).gauge("items_view_flush_lag_seconds")
        assert lag is not None
        assert lag >= 3600
    # beat ran with the worker's settings, METRICS_PORT too, and served nothing.
    assert '"message":"metrics' not in beat.log.read_text()


def test_a_scrape_while_redis_is_down_still_has_the_job_counts(
    own_redis: RedisServer,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
) -> None:
    worker = spawn_worker(own_redis.url)
    job_id = submit("compute.digest", {"data": "r", "rounds": 1}, broker=own_redis.url)
    assert job_table.wait_until_ended(job_id)["status"] == "succeeded"
    wait_for(worker, lambda m: m.job("jobs_succeeded_total", "compute.digest") == 1)

    own_redis.stop()
    try:
        for _ in range(3):
            metrics = scrape(worker)
            assert metrics.job("jobs_succeeded_total", "compute.digest") == 1
            assert "jobs_queue_messages" not in metrics.samples
            assert metrics.gauge("jobs_unacked_messages") is None
            assert metrics.gauge("items_view_deltas_pending") is None
    finally:
        own_redis.start()

    wait_for(worker, lambda m: m.gauge("jobs_unacked_messages") is not None)
    messages = [line["message"] for line in worker.lines()]
    warnings = [m for m in messages if m.startswith("metrics: Redis does not answer")]
    assert len(warnings) == 1, warnings
    assert "metrics: Redis answers again" in messages


def test_values_of_an_earlier_worker_are_wiped(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
    tmp_path: Path,
) -> None:
    values = str(tmp_path / "prometheus")
    first = spawn_worker(broker_url, PROMETHEUS_MULTIPROC_DIR=values)
    job_id = submit("compute.digest", {"data": "w", "rounds": 1})
    assert job_table.wait_until_ended(job_id)["status"] == "succeeded"
    wait_for(first, lambda m: m.job("jobs_started_total", "compute.digest") == 1)
    first.kill()  # its files stay, as in a container restarted with the same volume
    other = tmp_path / "prometheus" / "not-prometheus.db"
    other.write_text("someone else's")

    second = spawn_worker(broker_url, "w2", PROMETHEUS_MULTIPROC_DIR=values)

    assert scrape(second).runs("compute.digest") == runs(0)
    assert other.read_text() == "someone else's"  # only prometheus_client's files go


def test_metrics_port_0_turns_metrics_off(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
    tmp_path: Path,
) -> None:
    values = tmp_path / "prometheus"
    worker = spawn_worker(broker_url, METRICS_PORT="0", PROMETHEUS_MULTIPROC_DIR=str(values))
    job_id = submit("compute.digest", {"data": "o", "rounds": 1})

    assert job_table.wait_until_ended(job_id)["status"] == "succeeded"
    assert list(values.iterdir()) == []
    assert not any(line["message"].startswith("metrics") for line in worker.lines())
