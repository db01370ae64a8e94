"""Load test: Locust's requests, failures and response times, beside the services' own
view of the same run."""

from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import units

from . import variables
from .board import new_dashboard
from .layout import Row
from .panels import Query, stat_panel, timeseries_panel
from .promql import (
    RATE_INTERVAL,
    equals,
    increase_in_range,
    maximum,
    quantile,
    rate_ratio,
    rate_sum,
    summed,
    variable,
)

REQUEST = (variable("name", "request"),)
SERVICE_MODE = (variable("service"), variable("mode"))
SENT = "locust_requests_total"
FAILED = "locust_request_failures_total"
RESPONSE_TIME = "locust_response_time_seconds"
USERS = summed(f"max_over_time(locust_users[{RATE_INTERVAL}])")
GENERATOR_CPU = maximum(f"max_over_time(locust_cpu_usage_ratio[{RATE_INTERVAL}])")
GENERATOR_CPU_LIMIT = 0.9


def _failures(by: list[str]) -> str:
    """Failures per second; 0, not nothing, while none failed (Locust creates the failure
    series at the first failure)."""
    return f"({rate_sum(FAILED, REQUEST, by)} or {rate_sum(SENT, REQUEST, by)} * 0)"


def _failure_ratio(by: list[str]) -> str:
    return f"{_failures(by)} / {rate_sum(SENT, REQUEST, by)}"


def _overview() -> Row:
    return Row(
        "Overview",
        [
            [
                stat_panel("Users", "Simulated users running.", units.Short, USERS),
                stat_panel(
                    "Requests/s",
                    "Requests Locust makes per second.",
                    units.RequestsPerSecond,
                    rate_sum(SENT, REQUEST),
                ),
                stat_panel(
                    "Failure ratio",
                    "Share of Locust's requests that failed.",
                    units.PercentUnit,
                    _failure_ratio([]),
                    steps=[(0.01, "orange"), (0.05, "red")],
                    decimals=2,
                ),
                stat_panel(
                    "p95 response time",
                    "95th percentile of the response times Locust measured.",
                    units.Seconds,
                    quantile(0.95, RESPONSE_TIME, REQUEST),
                ),
                stat_panel(
                    "Generator CPU",
                    "Locust runs on one core: near 100% the generator, not the system, "
                    "is the limit.",
                    units.PercentUnit,
                    GENERATOR_CPU,
                    steps=[(0.8, "orange"), (GENERATOR_CPU_LIMIT, "red")],
                ),
                stat_panel(
                    "Requests in range",
                    "Requests Locust made over the dashboard's time range.",
                    units.Short,
                    increase_in_range(SENT, REQUEST),
                    decimals=0,
                ),
            ]
        ],
    )


def _locust() -> Row:
    by_name = ["name"]
    return Row(
        "Locust",
        [
            [
                timeseries_panel(
                    "Requests/s by request name",
                    "Requests per second by Locust request name.",
                    units.RequestsPerSecond,
                    Query(rate_sum(SENT, REQUEST, by_name), "{{name}}"),
                    stacked=True,
                ),
                timeseries_panel(
                    "Failures/s by request name",
                    "Failed requests per second by request name.",
                    units.RequestsPerSecond,
                    Query(_failures(by_name), "{{name}}"),
                ),
            ],
            [
                timeseries_panel(
                    f"Response time p{percentile} by request name",
                    "As Locust measured it: gateway and network included.",
                    units.Seconds,
                    Query(quantile(percentile / 100, RESPONSE_TIME, REQUEST, by_name), "{{name}}"),
                )
                for percentile in (50, 95, 99)
            ],
            [
                timeseries_panel(
                    "Users", "Simulated users running.", units.Short, Query(USERS, "users")
                ),
                timeseries_panel(
                    "Generator CPU",
                    "The load generator's CPU use (1 = one core).",
                    units.PercentUnit,
                    Query(GENERATOR_CPU, "locust"),
                    steps=[(GENERATOR_CPU_LIMIT, "red")],
                ),
                timeseries_panel(
                    "Failure ratio by request name",
                    "Share of each request name's requests that failed.",
                    units.PercentUnit,
                    Query(_failure_ratio(by_name), "{{name}}"),
                ),
            ],
        ],
    )


def _services() -> Row:
    by_service_mode = ["service", "mode"]
    legend = "{{service}} {{mode}}"
    return Row(
        "The services during the run",
        [
            [
                timeseries_panel(
                    "Locust vs services: request rate",
                    "What Locust sent against what the services answered; services also "
                    "count calls they make to one another.",
                    units.RequestsPerSecond,
                    Query(rate_sum(SENT, REQUEST), "locust (sent)"),
                    Query(rate_sum("http_requests_total", SERVICE_MODE), "services (answered)"),
                ),
                timeseries_panel(
                    "Services: request rate by service and mode",
                    "Requests the services answered per second.",
                    units.RequestsPerSecond,
                    Query(rate_sum("http_requests_total", SERVICE_MODE, by_service_mode), legend),
                ),
            ],
            [
                timeseries_panel(
                    "Locust vs services: p95 latency",
                    "Locust's p95 against each service's: the gap is the gateway, network "
                    "and client.",
                    units.Seconds,
                    Query(quantile(0.95, RESPONSE_TIME, REQUEST), "locust"),
                    Query(
                        quantile(
                            0.95, "http_request_duration_seconds", SERVICE_MODE, by_service_mode
                        ),
                        legend,
                    ),
                ),
                timeseries_panel(
                    "Services: 5xx ratio by service and mode",
                    "Share of the services' answers that were 5xx.",
                    units.PercentUnit,
                    Query(
                        rate_ratio(
                            "http_requests_total",
                            SERVICE_MODE,
                            [equals("status_class", "5xx")],
                            by_service_mode,
                        ),
                        legend,
                    ),
                ),
            ],
        ],
    )


def build() -> dashboard_models.Dashboard:
    return new_dashboard(
        uid="pyservices-loadtest",
        title="Load test: Locust and the services",
        description="Locust's requests, failures and response times, beside the services' "
        "own view.",
        tag="loadtest",
        variables=[
            variables.label_values("request", "Request name", SENT, "name"),
            variables.service(),
            variables.mode(),
        ],
        rows=[_overview(), _locust(), _services()],
    )
