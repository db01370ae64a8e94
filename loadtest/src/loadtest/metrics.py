"""`--metrics-port`: the run as Prometheus metrics, the `locust_*` rows of
observability/README.md.

Everything is read from the runner's stats when Prometheus scrapes, so a request costs
nothing more than Locust's own bookkeeping. Only the master or a standalone runner
serves: workers send their stats to the master, and the workers `--processes` forks
would all try to take the same port.
"""

from collections.abc import Iterator
from typing import Any

from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import Runner, WorkerRunner
from prometheus_client import REGISTRY, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from loadtest.listeners import listener
from servicekit.observability.metrics import HTTP_BUCKETS

# The services' request buckets, so what the client saw and what the server saw compare
# bucket by bucket. In milliseconds because Locust keeps response times rounded to whole
# milliseconds (two significant digits from 100 ms on), and every bound is exact at
# that rounding.
BUCKET_BOUNDS_MS = tuple(bound * 1000 for bound in HTTP_BUCKETS)
REQUEST_LABELS = ("name", "method")


@listener(events.init_command_line_parser)
def add_options(parser: LocustArgumentParser) -> None:
    # The server starts once at init; a web UI field could change nothing.
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        include_in_web_ui=False,
        help="serve Prometheus metrics of the run on this port (0: off; master or standalone only)",
    )
    parser.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        include_in_web_ui=False,
        help="address the metrics port listens on",
    )


@listener(events.init)
def _serve_metrics(environment: Environment, runner: Runner, **_kwargs: Any) -> None:
    options = environment.parsed_options
    if not options or not options.metrics_port or isinstance(runner, WorkerRunner):
        return
    REGISTRY.register(RunnerCollector(environment))
    # Under Locust's gevent patching the server's thread is a greenlet and its sockets
    # cooperative, so a slow scraper waits without holding up the simulated users.
    start_http_server(options.metrics_port, addr=options.metrics_host, registry=REGISTRY)


class RunnerCollector(Collector):
    """Reads `environment.runner` at each scrape. Nothing here yields to gevent, so a
    scrape sees the stats as of one instant, never half way through a stats reset."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment

    def collect(self) -> Iterator[Metric]:
        runner = self.environment.runner
        if runner is None:
            return
        yield GaugeMetricFamily("locust_users", "simulated users running", runner.user_count)
        # Locust samples its CPU every 10 s (0 until the second sample);
        # rate(process_cpu_seconds_total) is the finer view of the same process.
        yield GaugeMetricFamily(
            "locust_cpu_usage_ratio",
            "the load generator's CPU use (1 = one core)",
            runner.current_cpu_usage / 100,
        )
        requests = CounterMetricFamily(
            "locust_requests", "requests made, by request name", labels=REQUEST_LABELS
        )
        failures = CounterMetricFamily(
            "locust_request_failures", "failed requests", labels=REQUEST_LABELS
        )
        response_time = HistogramMetricFamily(
            "locust_response_time_seconds",
            "response times as Locust measured them",
            labels=REQUEST_LABELS,
        )
        # `entries` leaves out the "Aggregated" total: PromQL sums the series itself.
        for entry in list(runner.stats.entries.values()):
            labels = (entry.name, entry.method or "")
            # A stats reset makes these go down, which Prometheus takes as a counter reset.
            requests.add_metric(labels, entry.num_requests)
            failures.add_metric(labels, entry.num_failures)
            response_time.add_metric(
                labels, cumulative_buckets(entry.response_times), entry.total_response_time / 1000
            )
        yield requests
        yield failures
        yield response_time


def cumulative_buckets(response_times: dict[int, int]) -> list[tuple[str, int]]:
    """Locust's rounded milliseconds -> count, as cumulative `le` buckets in seconds."""
    ordered = sorted(response_times.items())
    buckets: list[tuple[str, int]] = []
    below = 0
    position = 0
    for bound in BUCKET_BOUNDS_MS:
        while position < len(ordered) and ordered[position][0] <= bound:
            below += ordered[position][1]
            position += 1
        # floatToGoString is unannotated upstream.
        buckets.append((floatToGoString(bound / 1000), below))  # type: ignore[no-untyped-call]
    # +Inf is the sum of the same dict, so it equals `_count` by construction.
    buckets.append(("+Inf", sum(count for _, count in ordered)))
    return buckets
