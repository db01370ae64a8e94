"""Prometheus metrics of a service: HTTP requests, database pools, event-loop lag and
the fault it injects.

Each app has a registry of its own (tests run many apps in one process); `/metrics`
serves it. Label values are bounded whatever the clients send: routes are templates,
methods a known set, statuses a class (observability/README.md lists every metric).
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from time import perf_counter
from typing import cast

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy.engine import URL
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import Response

from servicekit.db.engines import Database, database_kind

UNMATCHED_ROUTE = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = ("2xx", "4xx", "5xx")

# Requests take milliseconds to seconds; the last buckets catch the 5 s timeouts.
HTTP_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A free connection is handed over in microseconds; a starved pool makes them wait up
# to the pool timeout (5 s by default).
CHECKOUT_BUCKETS: tuple[float, ...] = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
CHECKOUT_BUCKETS += (0.25, 0.5, 1.0, 2.5, 5.0)
LOOP_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# Short enough that a handler blocking for a tenth of a second cannot slip between two
# timers unseen.
LOOP_LAG_INTERVAL_SECONDS = 0.1


def mode_of(path: str) -> str:
    """async for `/api/...`, sync for `/sync/api/...`: the one contract, two modes."""
    return "sync" if path.startswith("/sync/") else "async"


def create_registry() -> CollectorRegistry:
    """A registry with the process's own metrics (memory, CPU, GC)."""
    # `_created` series double what a scrape carries, and Prometheus ignores them.
    disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


@dataclass(frozen=True, slots=True)
class _RouteSeries:
    requests: Counter
    duration: Histogram


class HttpMetrics:
    """Counts and times answered requests by route template, method, status and mode."""

    def __init__(self, registry: CollectorRegistry, service: str):
        self._service = service
        labels = ("service", "route", "method", "status_class", "mode")
        self._requests = Counter(
            "http_requests_total", "Requests answered", labels, registry=registry
        )
        self._duration = Histogram(
            "http_request_duration_seconds",
            "Time to the last byte of the response",
            labels,
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        # Counted by the middleware, which runs on the event loop's thread only, and read
        # at scrape time: a Gauge's inc and dec take a lock each, twice per request.
        self.in_flight = 0
        Gauge(
            "http_requests_in_flight", "Requests being served", ("service",), registry=registry
        ).labels(service).set_function(lambda: self.in_flight)
        # labels() costs more than the rest of an observation: children are kept here.
        self._series: dict[tuple[str, str, str, str], _RouteSeries] = {}

    def observe(self, route: str, method: str, status: int, mode: str, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        status_class = f"{status // 100}xx"
        key = (route, method, status_class, mode)
        series = self._series.get(key)
        if series is None:
            series = self._add_series(key)
        series.requests.inc()
        series.duration.observe(seconds)

    def _add_series(self, key: tuple[str, str, str, str]) -> _RouteSeries:
        route, method, status_class, mode = key
        # Error classes start at 0 beside the first answer of a route, so an error
        # ratio reads 0 instead of "no data" until something fails.
        for sibling in STATUS_CLASSES:
            self._requests.labels(self._service, route, method, sibling, mode)
        series = _RouteSeries(
            self._requests.labels(self._service, route, method, status_class, mode),
            self._duration.labels(self._service, route, method, status_class, mode),
        )
        self._series[key] = series
        return series


class CheckoutTimer:
    """Times the waits of one engine's pool for a free connection (see servicekit.db.pools)."""

    def __init__(self, wait: Histogram, timeouts: Counter):
        self._wait = wait
        self._timeouts = timeouts

    def waited(self, seconds: float) -> None:
        self._wait.observe(seconds)

    def timed_out(self) -> None:
        self._timeouts.inc()


class PoolMetrics:
    """Pool size and use, read from the engines at scrape time, and checkout waits."""

    def __init__(self, registry: CollectorRegistry, service: str):
        self._service = service
        self._databases: list[Database] = []
        labels = ("service", "mode", "database")
        self._wait = Histogram(
            "db_pool_checkout_wait_seconds",
            "Time a request waited for a pooled connection",
            labels,
            buckets=CHECKOUT_BUCKETS,
            registry=registry,
        )
        self._timeouts = Counter(
            "db_pool_checkout_timeouts_total",
            "Waits for a pooled connection that ran out",
            labels,
            registry=registry,
        )
        registry.register(self)

    def checkout_timer(self, mode: str, database_url: str | URL) -> CheckoutTimer:
        labels = (self._service, mode, database_kind(database_url))
        return CheckoutTimer(self._wait.labels(*labels), self._timeouts.labels(*labels))

    def watch(self, database: Database) -> None:
        self._databases.append(database)

    def unwatch(self, database: Database) -> None:
        self._databases.remove(database)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        labels = ("service", "mode", "database")
        size = GaugeMetricFamily("db_pool_size", "Connections the pool keeps", labels=labels)
        used = GaugeMetricFamily(
            "db_pool_checked_out", "Connections in use by requests", labels=labels
        )
        overflow = GaugeMetricFamily(
            "db_pool_overflow", "Connections beyond the pool's size", labels=labels
        )
        for database in self._databases:
            kind = database_kind(database.sync_engine.url)
            engines = {"async": database.async_engine.sync_engine, "sync": database.sync_engine}
            for mode, engine in engines.items():
                pool = cast(QueuePool, engine.pool)  # create_database makes queue pools only
                values = (self._service, mode, kind)
                size.add_metric(values, pool.size())
                used.add_metric(values, pool.checkedout())
                overflow.add_metric(values, pool.overflow())
        yield from (size, used, overflow)

    def describe(self) -> list[Metric]:
        # Nothing to check at registration: the values exist only at scrape time.
        return []


class LoopLagMonitor:
    """Measures how late the event loop wakes a sleeping task: a handler that blocks the
    loop (a `time.sleep` in `async def`) shows up here before anywhere else."""

    def __init__(self, registry: CollectorRegistry, service: str):
        self._lag = Histogram(
            "event_loop_lag_seconds",
            "How late the event loop ran a timer",
            ("service",),
            buckets=LOOP_LAG_BUCKETS,
            registry=registry,
        ).labels(service)

    async def run(self, interval: float = LOOP_LAG_INTERVAL_SECONDS) -> None:
        while True:
            start = perf_counter()
            await asyncio.sleep(interval)
            self._lag.observe(max(0.0, perf_counter() - start - interval))


class FaultMetrics:
    """The fault a service injects (servicekit.faults.switch), one series per kind: a dashboard
    shows when a comparison ran with a fault, and how strong it was."""

    KINDS = ("latency_seconds", "error_rate", "slow_statement_seconds")

    def __init__(self, registry: CollectorRegistry, service: str):
        gauge = Gauge(
            "servicekit_fault_active",
            "Fault injected into the data requests: seconds added, or the fraction failed",
            ("service", "kind"),
            registry=registry,
        )
        self._kinds = {kind: gauge.labels(service, kind) for kind in self.KINDS}
        self.show(latency_seconds=0.0, error_rate=0.0, slow_statement_seconds=0.0)

    def show(
        self, *, latency_seconds: float, error_rate: float, slow_statement_seconds: float
    ) -> None:
        self._kinds["latency_seconds"].set(latency_seconds)
        self._kinds["error_rate"].set(error_rate)
        self._kinds["slow_statement_seconds"].set(slow_statement_seconds)


def metrics_endpoint(registry: CollectorRegistry) -> Callable[[Request], Awaitable[Response]]:

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
