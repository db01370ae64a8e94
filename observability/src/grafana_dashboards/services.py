"""Services: requests, errors, latency (RED) per service, route and mode, the faults
the fault switch injects, and the processes behind them."""

from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import units

from . import variables
from .annotations import PrometheusAnnotation
from .board import new_dashboard
from .layout import Row
from .panels import Cell, Query, stat_panel, timeseries_panel
from .promql import (
    equals,
    maximum,
    quantile,
    rate_ratio,
    rate_sum,
    selector,
    summed,
    variable,
)

SERVICE_MODE = (variable("service"), variable("mode"))
REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
FIVE_XX = (equals("status_class", "5xx"),)
BY_SERVICE_MODE = ("service", "mode")
BY_ROUTE = ("service", "route", "method")
ROUTE_LEGEND = "{{service}} {{method}} {{route}}"
SERVICE_MODE_LEGEND = "{{service}} {{mode}}"
ERROR_RATIO_ALERT = 0.05  # HTTPHighErrorRatio
LATENCY_ALERT = 1  # HTTPHighLatencyP99, seconds


def _overview() -> Row:
    in_flight = selector("http_requests_in_flight", [variable("service")])
    return Row(
        "Overview",
        [
            [
                stat_panel(
                    "Request rate",
                    "Requests answered per second by the selected services and modes.",
                    units.RequestsPerSecond,
                    rate_sum(REQUESTS, SERVICE_MODE),
                ),
                stat_panel(
                    "5xx ratio",
                    "Share of answers that were 5xx. HTTPHighErrorRatio fires above 5%.",
                    units.PercentUnit,
                    rate_ratio(REQUESTS, SERVICE_MODE, FIVE_XX),
                    steps=[(0.01, "orange"), (ERROR_RATIO_ALERT, "red")],
                    decimals=2,
                ),
                stat_panel(
                    "p99 latency",
                    "99th percentile of the time to the last byte. "
                    "HTTPHighLatencyP99 fires above 1 s.",
                    units.Seconds,
                    quantile(0.99, DURATION, SERVICE_MODE),
                    steps=[(0.5, "orange"), (LATENCY_ALERT, "red")],
                ),
                stat_panel(
                    "Requests in flight",
                    "Requests being served now, both modes.",
                    units.Short,
                    summed(in_flight),
                ),
            ],
            [
                timeseries_panel(
                    "Request rate by service and mode",
                    "Requests answered per second (not /metrics or health checks).",
                    units.RequestsPerSecond,
                    Query(rate_sum(REQUESTS, SERVICE_MODE, BY_SERVICE_MODE), SERVICE_MODE_LEGEND),
                ),
                timeseries_panel(
                    "5xx ratio by service and mode",
                    "Share of answers that were 5xx; the line is HTTPHighErrorRatio's 5%.",
                    units.PercentUnit,
                    Query(
                        rate_ratio(REQUESTS, SERVICE_MODE, FIVE_XX, BY_SERVICE_MODE),
                        SERVICE_MODE_LEGEND,
                    ),
                    steps=[(ERROR_RATIO_ALERT, "red")],
                ),
            ],
            [
                timeseries_panel(
                    "Latency p50 / p95 / p99 by service and mode",
                    "Time to the last byte of the response; the line is HTTPHighLatencyP99's 1 s.",
                    units.Seconds,
                    *(
                        Query(
                            quantile(q, DURATION, SERVICE_MODE, BY_SERVICE_MODE),
                            f"p{round(q * 100)} {SERVICE_MODE_LEGEND}",
                        )
                        for q in (0.5, 0.95, 0.99)
                    ),
                    steps=[(LATENCY_ALERT, "red")],
                ),
                timeseries_panel(
                    "Requests in flight by service",
                    "Requests being served now (both modes).",
                    units.Short,
                    Query(summed(in_flight, by=["service"]), "{{service}}"),
                ),
            ],
            [
                timeseries_panel(
                    "Responses by status class",
                    "Answers per second by status class, modes together.",
                    units.RequestsPerSecond,
                    Query(
                        rate_sum(REQUESTS, SERVICE_MODE, ("service", "status_class")),
                        "{{service}} {{status_class}}",
                    ),
                    stacked=True,
                ),
                timeseries_panel(
                    "4xx ratio by service and mode",
                    "Client errors (validation, not found, auth): "
                    "a jump after a deploy is a contract change.",
                    units.PercentUnit,
                    Query(
                        rate_ratio(
                            REQUESTS, SERVICE_MODE, [equals("status_class", "4xx")], BY_SERVICE_MODE
                        ),
                        SERVICE_MODE_LEGEND,
                    ),
                ),
            ],
        ],
    )


def _fault(kind: str) -> str:
    """The size of one kind of fault (servicekit_fault_active) each service injects."""
    return maximum(
        selector("servicekit_fault_active", [variable("service"), equals("kind", kind)]),
        by=["service"],
    )


def _faults() -> Row:
    return Row(
        "Faults injected (servicekit.faults.switch): their effect shows above",
        [
            [
                timeseries_panel(
                    "Injected delay by service",
                    "What the fault switch adds (servicekit.faults.switch, /admin/fault or "
                    "faults:<service> in Redis): latency before every data response, and a "
                    "sleeping statement first in every database session. 0 when off.",
                    units.Seconds,
                    Query(_fault("latency_seconds"), "{{service}} latency"),
                    Query(_fault("slow_statement_seconds"), "{{service}} slow statement"),
                    setting=True,
                ),
                timeseries_panel(
                    "Injected error rate by service",
                    'The share of data requests the fault switch answers 503 "Injected fault" '
                    "before their handler runs. 0 when off.",
                    units.PercentUnit,
                    Query(_fault("error_rate"), "{{service}}"),
                    max_value=1,
                    setting=True,
                ),
            ]
        ],
        # Added after the rows below; their panels keep the ids they had.
        first_id=21,
    )


def _by_route(title: str, unit: str, expr: str) -> list[Cell]:
    return [
        timeseries_panel(
            f"{title} by route ($mode)",
            "Repeated for each selected mode.",
            unit,
            Query(expr, ROUTE_LEGEND),
            repeat_per="mode",
        )
    ]


def _routes() -> Row:
    return Row(
        "By route: one panel per mode, side by side",
        [
            _by_route(
                "Request rate", units.RequestsPerSecond, rate_sum(REQUESTS, SERVICE_MODE, BY_ROUTE)
            ),
            _by_route(
                "5xx ratio",
                units.PercentUnit,
                rate_ratio(REQUESTS, SERVICE_MODE, FIVE_XX, BY_ROUTE),
            ),
            _by_route(
                "p95 latency", units.Seconds, quantile(0.95, DURATION, SERVICE_MODE, BY_ROUTE)
            ),
            _by_route(
                "p99 latency", units.Seconds, quantile(0.99, DURATION, SERVICE_MODE, BY_ROUTE)
            ),
        ],
        first_id=12,
    )


def _processes() -> Row:
    job = (variable("job", "service"),)
    return Row(
        "Processes",
        [
            [
                timeseries_panel(
                    "Event loop lag p99",
                    "How late the event loop ran a timer: "
                    "a blocking call in an async handler shows here first.",
                    units.Seconds,
                    Query(
                        quantile(
                            0.99, "event_loop_lag_seconds", [variable("service")], ["service"]
                        ),
                        "{{service}}",
                    ),
                ),
                timeseries_panel(
                    "CPU",
                    "CPU time per second of each service (1 = one core).",
                    units.PercentUnit,
                    Query(rate_sum("process_cpu_seconds_total", job, ["job"]), "{{job}}"),
                ),
                timeseries_panel(
                    "Resident memory",
                    "Resident set size of each service.",
                    units.BytesIEC,
                    Query(
                        summed(selector("process_resident_memory_bytes", job), ["job"]), "{{job}}"
                    ),
                ),
            ]
        ],
        collapsed=True,
    )


def _fault_annotation() -> PrometheusAnnotation:
    return PrometheusAnnotation(
        "Fault injected",
        maximum(selector("servicekit_fault_active", [variable("service")]), ["service"]) + " > 0",
        title="fault on {{service}}",
        tags="service",
        step="10s",
        color="red",
    )


def build() -> dashboard_models.Dashboard:
    return new_dashboard(
        uid="pyservices-services",
        title="Services: requests, errors, latency",
        description="RED per service, route and mode (async /api, sync /sync/api).",
        tag="services",
        variables=[variables.service(), variables.mode()],
        rows=[_overview(), _faults(), _routes(), _processes()],
        extra_annotations=[_fault_annotation()],
    )
