"""The pieces of the worker's metrics without a worker: what counts as a run, the
Redis collector (and Redis going away), the multiprocess directory."""

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from celery import Celery, states
from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict

from devstack.servers import RedisServer
from servicecontracts.view_counts import ViewKeys
from worker_service.jobs import views
from worker_service.metrics import (
    RUNS_UNDER_RECORD,
    JobMetrics,
    PoolCollector,
    RedisCollector,
    outcome,
)
from worker_service.resources import Resources
from worker_service.settings import WorkerSettings
from worker_service.tasks import register_tasks

SUBMITTED, PERIODIC = "compute.digest", "counters.flush_item_views"
OUT: dict[str, Any] = {"capture_output": True, "text": True, "check": True, "timeout": 60}


@pytest.mark.parametrize(
    ("state", "retval", "expected"),
    [
        (states.SUCCESS, "succeeded", "succeeded"),
        (states.SUCCESS, {"flushes": 1}, "succeeded"),
        (states.SUCCESS, None, "succeeded"),
        # A submitted job's task returns normally; its record says how the job ended.
        (states.SUCCESS, "failed", "failed"),
        (states.FAILURE, ValueError("boom"), "failed"),
        (states.RETRY, None, "retried"),
    ],
)
def test_the_outcome_of_a_run(state: str, retval: object, expected: str) -> None:
    assert outcome(state, retval) == expected


def delivery(kind: str, task_id: str) -> SimpleNamespace:
    request = SimpleNamespace(id=task_id)
    return SimpleNamespace(name=kind, request=request, runs_under_record=kind == SUBMITTED)


class Counted:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.metrics = JobMetrics("worker", (SUBMITTED, PERIODIC), registry=self.registry)

    def __call__(self, kind: str) -> dict[str, float | None]:
        labels = {"service": "worker", "kind": kind}
        names = ("started", "succeeded", "failed", "retried")
        values = {
            name: self.registry.get_sample_value(f"jobs_{name}_total", labels) for name in names
        }
        values["timed"] = self.registry.get_sample_value("job_duration_seconds_count", labels)
        return values


def counts(
    started: float = 0, succeeded: float = 0, failed: float = 0, retried: float = 0
) -> dict[str, float]:
    return {
        "started": started,
        "succeeded": succeeded,
        "failed": failed,
        "retried": retried,
        "timed": succeeded + failed + retried,
    }


def test_every_kind_starts_at_zero() -> None:
    counted = Counted()
    assert counted(SUBMITTED) == counted(PERIODIC) == counts()


def test_a_periodic_task_runs_when_delivered() -> None:
    counted = Counted()
    flush, failing = delivery(PERIODIC, "a"), delivery(PERIODIC, "b")

    counted.metrics.delivered(task=flush)
    assert counted(PERIODIC) == counts(started=1)
    counted.metrics.finished(task=flush, state=states.SUCCESS, retval={"flushes": 0})
    counted.metrics.delivered(task=failing)
    counted.metrics.finished(task=failing, state=states.RETRY, retval=None)

    assert counted(PERIODIC) == counts(started=2, succeeded=1, retried=1)


def test_a_submitted_job_runs_when_its_record_says_so() -> None:
    counted = Counted()
    job = delivery(SUBMITTED, "7")

    counted.metrics.delivered(task=job)
    assert counted(SUBMITTED) == counts()
    counted.metrics.run_started(sender=job)
    counted.metrics.run_started(sender=job)  # a run, then a transient error: one run
    assert counted(SUBMITTED) == counts(started=1)
    counted.metrics.finished(task=job, state=states.SUCCESS, retval="failed")

    assert counted(SUBMITTED) == counts(started=1, failed=1)


def test_a_redelivery_that_runs_nothing_counts_nowhere() -> None:
    counted = Counted()
    for retval in ("already succeeded", "already failed", "missing"):
        again = delivery(SUBMITTED, "7")
        counted.metrics.delivered(task=again)
        counted.metrics.finished(task=again, state=states.SUCCESS, retval=retval)
    waiting = delivery(SUBMITTED, "8")  # no record yet: retried until it comes
    counted.metrics.delivered(task=waiting)
    counted.metrics.finished(task=waiting, state=states.RETRY, retval=None)

    assert counted(SUBMITTED) == counts()


@pytest.fixture
def keys(views_key_prefix: str) -> ViewKeys:
    return ViewKeys(views_key_prefix)


def collect(collector: RedisCollector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def test_backlogs_are_read_from_redis(broker_url: str, keys: ViewKeys) -> None:
    client = redis.Redis.from_url(broker_url)
    client.rpush("celery", "m1", "m2")
    client.rpush("celery\x06\x169", "urgent")  # kombu's list for priority 9
    client.hset("unacked", mapping={"tag1": "m", "tag2": "m"})
    client.hset(keys.pending, mapping={"1": 2, "2": 1})
    client.hset(keys.flushing, mapping={"3": 5})
    client.set(keys.flushed_at, repr(time.time() - 60))
    collector = RedisCollector(client, "worker", lambda: ["celery", "w1@host.dq2"], keys)

    values = collect(collector)

    worker = (("service", "worker"),)
    assert values[("jobs_queue_messages", (("queue", "celery"), *worker))] == 3
    assert values[("jobs_queue_messages", (("queue", "w1@host.dq2"), *worker))] == 0
    assert values[("jobs_unacked_messages", worker)] == 2
    assert values[("items_view_deltas_pending", worker)] == 3
    assert values[("items_view_flush_lag_seconds", worker)] >= 60
    client.close()


def test_no_flush_lag_before_a_first_flush(
    broker_url: str, keys: ViewKeys, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(broker_url)
    collector = RedisCollector(client, "worker", list, keys)
    assert "items_view_flush_lag_seconds" not in {name for name, _ in collect(collector)}

    client.set(keys.flushed_at, "not a time")
    assert "items_view_flush_lag_seconds" not in {name for name, _ in collect(collector)}
    assert "holds no time" in caplog.text
    client.close()


def test_redis_away_leaves_its_gauges_out_and_warns_once_per_outage(
    own_redis: RedisServer, keys: ViewKeys, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(own_redis.url, socket_timeout=1, socket_connect_timeout=1)
    collector = RedisCollector(client, "worker", lambda: ["celery"], keys)
    caplog.set_level(logging.INFO, logger="worker_service.metrics")
    assert collect(collector)

    def warnings() -> int:
        return caplog.text.count("Redis does not answer")

    own_redis.stop()
    assert collect(collector) == {}
    assert collect(collector) == {}
    assert warnings() == 1
    own_redis.start()
    assert collect(collector)
    assert "Redis answers again" in caplog.text
    own_redis.stop()
    assert collect(collector) == {}
    assert warnings() == 2
    client.close()


def test_flushes_record_when_they_completed(
    items_database_url: str,
    broker_url: str,
    keys: ViewKeys,
    worker_settings: Callable[..., WorkerSettings],
) -> None:
    settings = worker_settings(items_database_url=items_database_url, redis_url=broker_url)
    resources = Resources(settings)
    try:
        before = time.time()
        # Nothing to flush is a completed flush all the same.
        views.flush_item_views(resources.redis, resources.items_engine, keys, timedelta(days=7))
        flushed_at = resources.redis.get(keys.flushed_at)
        assert flushed_at is not None
        assert float(flushed_at) >= before
    finally:
        resources.close()


def test_live_gauges_of_dead_processes_are_dropped(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **OUT)
    dead_pid, own_pid = int(gone.stdout), os.getpid()
    for pid in (dead_pid, own_pid):
        MmapedDict(str(tmp_path / f"gauge_livesum_{pid}.db")).close()  # type: ignore[no-untyped-call]
    MmapedDict(str(tmp_path / f"counter_{dead_pid}.db")).close()  # type: ignore[no-untyped-call]

    list(PoolCollector(None, str(tmp_path)).collect())

    assert {path.name for path in tmp_path.iterdir()} == {
        f"gauge_livesum_{own_pid}.db",
        f"counter_{dead_pid}.db",  # a dead process's counts stay in the totals
    }


def test_the_app_sets_the_directory_before_prometheus_client_is_imported(
    tmp_path: Path, worker_settings: Callable[..., WorkerSettings]
) -> None:
    # What `celery -A worker_service.celery_app` does first; also in beat.
    script = (
        "import os, worker_service.celery_app\n"
        "from prometheus_client import values\n"
        "assert values.ValueClass is not values.MutexValue\n"
        "print(os.environ['PROMETHEUS_MULTIPROC_DIR'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    settings = worker_settings()
    env |= {
        "ITEMS_DATABASE_URL": settings.items_database_url,
        "TASKS_DATABASE_URL": settings.tasks_database_url,
    }

    made = subprocess.run([sys.executable, "-c", script], env=env, **OUT).stdout.strip()

    assert made
    assert not os.path.exists(made)  # a directory it made is gone when it exits
    given = tmp_path / "given"
    env["PROMETHEUS_MULTIPROC_DIR"] = str(given)
    assert subprocess.run([sys.executable, "-c", script], env=env, **OUT).stdout.strip() == str(
        given
    )
    assert given.is_dir()  # made if missing, and kept


def test_the_tasks_that_run_submitted_jobs_say_so(
    worker_settings: Callable[..., WorkerSettings],
) -> None:
    app = Celery("probe", set_as_current=False)
    register_tasks(app, Resources(worker_settings()))

    marked = {name for name, task in app.tasks.items() if getattr(task, RUNS_UNDER_RECORD, False)}
    assert marked == {"compute.digest", "reports.user_summary"}
