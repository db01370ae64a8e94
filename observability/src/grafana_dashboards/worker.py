"""Worker: the Celery worker's job runs by kind, their durations, the broker's queue
and the view-count flushes."""

from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import units

from . import variables
from .board import new_dashboard
from .layout import Row
from .panels import Query, stat_panel, timeseries_panel
from .promql import (
    equals,
    increase_in_range,
    maximum,
    quantile,
    rate_sum,
    selector,
    summed,
    variable,
)

KIND = (variable("kind"),)
WORKER = (equals("job", "worker"),)
QUEUE_ALERT = 100  # JobQueueGrowing
FLUSH_LAG_ALERT = 30  # ItemsViewFlushLagHigh, seconds
OUTCOMES = ("started", "succeeded", "failed", "retried")


def _runs(outcome: str) -> str:
    return f"jobs_{outcome}_total"


def _overview() -> Row:
    return Row(
        "Overview",
        [
            [
                stat_panel(
                    "Worker targets up",
                    "Worker processes Prometheus scrapes successfully.",
                    units.Short,
                    summed(selector("up", WORKER)),
                    base="red",
                    steps=[(1, "green")],
                ),
                stat_panel(
                    "Messages waiting",
                    "Messages in the broker's queues.",
                    units.Short,
                    summed(maximum("jobs_queue_messages", ["queue"])),
                    steps=[(QUEUE_ALERT, "orange")],
                ),
                stat_panel(
                    "View flush lag",
                    "Seconds since the last completed view-count flush (every 5 s).",
                    units.Seconds,
                    maximum("items_view_flush_lag_seconds"),
                    steps=[(10, "orange"), (FLUSH_LAG_ALERT, "red")],
                ),
                stat_panel(
                    "Jobs failed in range",
                    "Runs that ended failed over the dashboard's time range.",
                    units.Short,
                    increase_in_range(_runs("failed"), KIND),
                    steps=[(1, "red")],
                    decimals=0,
                ),
            ]
        ],
    )


def _job_runs() -> Row:
    by_kind = [
        timeseries_panel(
            f"Jobs {outcome} by kind",
            description,
            units.OpsPerSecond,
            Query(rate_sum(_runs(outcome), KIND, ["kind"]), "{{kind}}"),
        )
        for outcome, description in (
            ("started", "Job runs started by the worker per second."),
            ("succeeded", "Runs that ended well per second."),
            ("failed", "Runs that ended failed per second."),
            ("retried", "Runs that asked to be retried per second."),
        )
    ]
    return Row(
        "Job runs",
        [
            by_kind[:2],
            by_kind[2:],
            [
                timeseries_panel(
                    "Job duration p50 / p95 / p99 by kind",
                    "Run time of one job run.",
                    units.Seconds,
                    *(
                        Query(
                            quantile(q, "job_duration_seconds", KIND, ["kind"]),
                            f"p{round(q * 100)} {{{{kind}}}}",
                        )
                        for q in (0.5, 0.95, 0.99)
                    ),
                ),
                timeseries_panel(
                    "Job outcomes, all kinds",
                    "Started, succeeded, failed and retried runs per second.",
                    units.OpsPerSecond,
                    *(Query(rate_sum(_runs(outcome), KIND), outcome) for outcome in OUTCOMES),
                ),
            ],
        ],
    )


def _queue() -> Row:
    return Row(
        "Queue",
        [
            [
                timeseries_panel(
                    "Messages waiting by queue",
                    "Messages waiting in the broker; JobQueueGrowing fires above 100 and rising.",
                    units.Short,
                    Query(maximum("jobs_queue_messages", ["queue"]), "{{queue}}"),
                    steps=[(QUEUE_ALERT, "orange")],
                ),
                timeseries_panel(
                    "Unacked messages",
                    "Messages delivered to a worker and not yet acknowledged "
                    "(running or prefetched jobs).",
                    units.Short,
                    Query(maximum("jobs_unacked_messages", ["service"]), "{{service}}"),
                ),
            ],
            [
                timeseries_panel(
                    "Jobs enqueued by tasks, by kind",
                    "Jobs sent to the queue per second by the tasks service.",
                    units.OpsPerSecond,
                    Query(
                        rate_sum(_runs("enqueued"), KIND, ["service", "kind"]),
                        "{{service}} {{kind}}",
                    ),
                ),
                timeseries_panel(
                    "Jobs enqueued vs started",
                    "Started includes the periodic jobs (view flush, resend), "
                    "which tasks does not enqueue.",
                    units.OpsPerSecond,
                    *(
                        Query(rate_sum(_runs(outcome), KIND), outcome)
                        for outcome in ("enqueued", "started")
                    ),
                ),
            ],
        ],
    )


def _view_counts() -> Row:
    return Row(
        "View counts",
        [
            [
                timeseries_panel(
                    "View flush lag",
                    "Seconds since the last completed flush; flushes run every 5 s, "
                    "ItemsViewFlushLagHigh fires above 30 s.",
                    units.Seconds,
                    Query(maximum("items_view_flush_lag_seconds", ["service"]), "{{service}}"),
                    steps=[(FLUSH_LAG_ALERT, "red")],
                ),
                timeseries_panel(
                    "View deltas pending",
                    "Items whose view counts wait in Redis for the next flush.",
                    units.Short,
                    Query(maximum("items_view_deltas_pending", ["service"]), "{{service}}"),
                ),
            ]
        ],
    )


def _worker_process() -> Row:
    return Row(
        "Worker process",
        [
            [
                timeseries_panel(
                    "Worker CPU",
                    "CPU time per second of the worker's metrics-serving process (1 = one core).",
                    units.PercentUnit,
                    Query(
                        rate_sum("process_cpu_seconds_total", WORKER, ["instance"]), "{{instance}}"
                    ),
                ),
                timeseries_panel(
                    "Worker resident memory",
                    "Resident set size of the worker's process.",
                    units.BytesIEC,
                    Query(
                        summed(selector("process_resident_memory_bytes", WORKER), ["instance"]),
                        "{{instance}}",
                    ),
                ),
            ]
        ],
        collapsed=True,
    )


def build() -> dashboard_models.Dashboard:
    return new_dashboard(
        uid="pyservices-worker",
        title="Worker: jobs, queue, view flushes",
        description="The Celery worker: job runs by kind, durations, broker queue, "
        "view-count flushes.",
        tag="worker",
        variables=[variables.label_values("kind", "Job kind", "jobs_started_total", "kind")],
        rows=[_overview(), _job_runs(), _queue(), _view_counts(), _worker_process()],
    )
