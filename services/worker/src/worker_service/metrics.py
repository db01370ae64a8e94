"""Prometheus metrics of the worker (observability/README.md lists them).

Jobs run in the prefork pool's processes, but Prometheus scrapes one port, in the main
process. So the job metrics use prometheus_client's multiprocess mode: each process
writes its values to files of its own in `PROMETHEUS_MULTIPROC_DIR` (celery_app sets it
before prometheus_client is first imported), and the main process adds them all up when
scraped. The files of a pool process that died stay: its runs stay in the totals. What
waits in Redis (queued and unacknowledged messages, view counts not yet flushed, the
time of the last flush) is read by the main process at scrape time instead.

What counts as a run, so that `started - (succeeded + failed + retried)` is the runs
going on now plus those lost with a killed process (hard time limit, OOM killer):

- A submitted job's run starts when its record lets it (job_runner.run_started). A
  redelivery of a job that already ended, or whose record never came, runs nothing and
  counts nowhere: counting it would show runs that never ended.
- Any other task (the periodic ones) starts when its message is delivered.
- Every started run ends once, in succeeded, failed or retried, and is timed. A
  submitted job's task returns normally whatever became of the job; its return value,
  the status the record ended with, says whether the run failed.
"""

import glob
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
from celery import Celery, Task, signals, states
from kombu.transport.redis import Channel
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from servicecontracts.view_counts import ViewKeys
from servicekit.clients.redis import create_sync_redis
from servicekit.observability.metrics import create_registry
from worker_service import MULTIPROC_DIR_ENV
from worker_service.job_runner import FAILED, run_started
from worker_service.settings import WorkerSettings

logger = logging.getLogger(__name__)

# The soft time limit ends a run at 120 s, the hard one kills it at 180 s.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 180)
# Set on the tasks that run a submitted job under its record (tasks.py, job_runner).
RUNS_UNDER_RECORD = "runs_under_record"
# What prometheus_client writes in its directory (`<type>[_<mode>]_<pid>.db`): the only
# files read or wiped there, as the directory is whatever the environment says.
VALUE_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


class JobMetrics:
    """Counts and times job runs in whichever process runs them (signal receivers)."""

    def __init__(
        self, service: str, kinds: Iterable[str], registry: CollectorRegistry | None = None
    ):
        # No registry in the worker: values live in the processes' files, and the scrape
        # reads those (PoolCollector). Tests pass one.
        labels = ("service", "kind")
        self._service = service
        self._started = Counter(
            "jobs_started_total", "Job runs started by the worker", labels, registry=registry
        )
        self._ended = {
            "succeeded": Counter(
                "jobs_succeeded_total", "Job runs that ended well", labels, registry=registry
            ),
            "failed": Counter(
                "jobs_failed_total", "Job runs that ended failed", labels, registry=registry
            ),
            "retried": Counter(
                "jobs_retried_total", "Job runs that asked to be retried", labels, registry=registry
            ),
        }
        self._duration = Histogram(
            "job_duration_seconds",
            "Run time of one job run",
            labels,
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        # Every kind from 0: rates and alerts read 0, not "no data", before a first run.
        for kind in kinds:
            for metric in (self._started, *self._ended.values(), self._duration):
                metric.labels(service, kind)
        # This process's runs going on: task id -> when the run started.
        self._runs: dict[str | None, float] = {}

    def connect(self) -> None:
        # Strong references: the receivers are bound methods of an object nothing else keeps.
        signals.task_prerun.connect(self.delivered, weak=False)
        run_started.connect(self.run_started, weak=False)
        signals.task_postrun.connect(self.finished, weak=False)

    def delivered(self, task: Task, **_kwargs: Any) -> None:
        if not getattr(task, RUNS_UNDER_RECORD, False):
            self._start(task)

    def run_started(self, sender: Task, **_kwargs: Any) -> None:
        self._start(sender)

    def finished(
        self, task: Task, state: str | None = None, retval: object = None, **_kwargs: Any
    ) -> None:
        started = self._runs.pop(task.request.id, None)
        if started is None:
            return  # this delivery ran nothing
        self._ended[outcome(state, retval)].labels(self._service, task.name).inc()
        self._duration.labels(self._service, task.name).observe(time.perf_counter() - started)

    def _start(self, task: Task) -> None:
        # Once per delivery, though a runner may say so twice (a run, then a transient
        # error) or run a task that also started when delivered (tests' own kinds).
        if task.request.id not in self._runs:
            self._runs[task.request.id] = time.perf_counter()
            self._started.labels(self._service, task.name).inc()


def outcome(state: str | None, retval: object) -> str:
    """succeeded, failed or retried: how a started run ended."""
    if state == states.RETRY:
        return "retried"
    if state == states.SUCCESS and retval != FAILED:
        return "succeeded"
    return "failed"


def broker_lists(queue: str) -> list[str]:
    """The Redis lists kombu keeps a queue's messages in: one per priority step, the
    first named as the queue (this worker changes none of kombu's key options)."""
    return [queue] + [f"{queue}{Channel.sep}{step}" for step in Channel.priority_steps if step]


class RedisCollector:
    """Backlogs kept in Redis, read when scraped: messages waiting in the queues this
    worker consumes, messages delivered but not acknowledged (kombu's `unacked` hash, all
    workers'), items whose view counts wait for a flush, and seconds since the last
    completed flush.

    A Redis that does not answer leaves these gauges out of the scrape (the job counters
    still come), with one warning per outage rather than one per scrape.
    """

    def __init__(
        self,
        client: redis.Redis,
        service: str,
        queues: Callable[[], Iterable[str]],
        views: ViewKeys,
    ):
        self._client = client
        self._service = service
        self._queues = queues
        self._views = views
        self._unavailable = False

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration: values exist only at scrape time

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lists = {queue: broker_lists(queue) for queue in sorted(set(self._queues()))}
        try:
            # One round trip.
            with self._client.pipeline(transaction=False) as pipe:
                for keys in lists.values():
                    for key in keys:
                        pipe.llen(key)
                pipe.hlen(Channel.unacked_key)
                pipe.hlen(self._views.pending)
                pipe.hlen(self._views.flushing)
                pipe.get(self._views.flushed_at)
                replies = iter(pipe.execute())
        except redis.RedisError as error:
            if not self._unavailable:
                logger.warning("metrics: Redis does not answer, its gauges are left out: %s", error)
            self._unavailable = True
            return
        if self._unavailable:
            logger.info("metrics: Redis answers again")
            self._unavailable = False

        service = self._service
        waiting = GaugeMetricFamily(
            "jobs_queue_messages", "Messages waiting in the broker", labels=("service", "queue")
        )
        for queue, keys in lists.items():
            waiting.add_metric((service, queue), sum(next(replies) for _ in keys))
        unacked, pending, flushing, flushed_at = replies
        yield waiting
        yield _gauge(
            "jobs_unacked_messages",
            "Messages delivered to a worker, not yet acknowledged",
            service,
            unacked,
        )
        yield _gauge(
            "items_view_deltas_pending",
            "Items whose view counts wait in Redis for a flush",
            service,
            pending + flushing,
        )
        lag = GaugeMetricFamily(
            "items_view_flush_lag_seconds",
            "Seconds since the last completed view-count flush",
            labels=("service",),
        )
        try:
            # No sample until a first flush completes; never negative between two clocks.
            if flushed_at is not None:
                lag.add_metric((service,), max(0.0, time.time() - float(flushed_at)))
        except ValueError:
            logger.warning("metrics: %s holds no time: %r", self._views.flushed_at, flushed_at)
        yield lag


def _gauge(name: str, documentation: str, service: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=("service",))
    gauge.add_metric((service,), value)
    return gauge


class PoolCollector(MultiProcessCollector):
    """The values of all the worker's processes, gone ones included.

    Before each read, the "live" gauges of processes that are gone are dropped
    (`mark_process_dead`): a pool process killed by the hard time limit or the OOM
    killer never gets to say so itself. (No worker metric is a live gauge yet; this keeps
    one added later right. Counters and histograms of dead processes are kept.)
    """

    def __init__(self, registry: CollectorRegistry | None, path: str):
        self._dir = path
        # prometheus_client's multiprocess module is unannotated: three ignores below.
        super().__init__(registry, path)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        for file in glob.glob(os.path.join(self._dir, "gauge_live*_*.db")):
            pid = int(file.rsplit("_", 1)[1].removesuffix(".db"))
            if not _alive(pid):
                mark_process_dead(pid, self._dir)  # type: ignore[no-untyped-call]
        # prometheus_client's own files only: another `.db` there would fail every scrape.
        merged: Iterable[Metric] = self.merge(value_files(self._dir), accumulate=True)  # type: ignore[no-untyped-call]
        return merged


def value_files(path: str) -> list[str]:
    return [file for pattern in VALUE_FILES for file in glob.glob(os.path.join(path, pattern))]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # there, though not ours
    return True


def serve(app: Celery, settings: WorkerSettings) -> None:
    """Counts jobs in every process and serves /metrics from this one: run in the main
    process of `celery worker` (signal celeryd_after_setup), before the pool starts."""
    if values.ValueClass is values.MutexValue:
        # A bug, not a condition: the tests start real workers and would see it.
        logger.error(
            "metrics not served: prometheus_client was imported before %s was set, so the"
            " pool processes' counts would never reach /metrics (see celery_app)",
            MULTIPROC_DIR_ENV,
        )
        return
    path = os.environ[MULTIPROC_DIR_ENV]
    # Values of an earlier worker (a restarted container keeps its emptyDir) are not ours.
    for stale in value_files(path):
        os.remove(stale)

    kinds = sorted(name for name in app.tasks if not name.startswith("celery."))
    JobMetrics(settings.service_name, kinds).connect()
    # process_* and python_info describe the main process only, not the pool's.
    registry = create_registry()
    PoolCollector(registry, path)
    registry.register(
        RedisCollector(
            # A client of its own, never kombu's: a pool process forked while the scrape
            # thread holds a lock of kombu's connection pools would deadlock (heartbeat.py).
            create_sync_redis(settings),
            settings.service_name,
            # Read when scraped: queues can be added to or cancelled in a running worker.
            lambda: list(app.amqp.queues.consume_from),
            ViewKeys(settings.views_key_prefix),
        )
    )
    try:
        server, _thread = start_http_server(
            settings.metrics_port, settings.metrics_host, registry=registry
        )
    except OSError as error:
        # Jobs matter more than their metrics: the worker runs on, and says so loudly.
        logger.error(
            "metrics not served on %s:%d: %s", settings.metrics_host, settings.metrics_port, error
        )
        return
    logger.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)
    serving = os.getpid()

    def close_inherited_listener(**_kwargs: Any) -> None:
        # A pool process holding a copy of the listening socket would keep the port taken
        # after the main process is gone, and a restarted worker could not serve. (The
        # solo pool sends this signal in the main process itself.)
        if os.getpid() != serving:
            server.socket.close()

    def stop(**_kwargs: Any) -> None:
        server.shutdown()
        server.server_close()

    signals.worker_process_init.connect(close_inherited_listener, weak=False)
    signals.worker_shutdown.connect(stop, weak=False)
