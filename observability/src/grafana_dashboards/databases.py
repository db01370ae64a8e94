"""Databases: the connection pools per service, mode and database: size, use, waits,
timeouts."""

from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import units

from . import variables
from .board import new_dashboard
from .layout import Row
from .panels import Query, stat_panel, timeseries_panel
from .promql import increase_in_range, quantile, rate_sum, selector, summed, variable

POOL = (variable("service"), variable("mode"), variable("database"))
BY_POOL = ("service", "mode", "database")
POOL_LEGEND = "{{service}} {{mode}} {{database}}"
WAIT = "db_pool_checkout_wait_seconds"
TIMEOUTS = "db_pool_checkout_timeouts_total"


def _gauge(metric: str) -> str:
    """A pool gauge, summed by pool."""
    return summed(selector(metric, POOL), BY_POOL)


def _overview() -> Row:
    return Row(
        "Overview",
        [
            [
                stat_panel(
                    "Connections checked out",
                    "Connections in use by requests now, all selected pools.",
                    units.Short,
                    summed(selector("db_pool_checked_out", POOL)),
                ),
                stat_panel(
                    "Pool size",
                    "Connections the selected pools keep (their configured size).",
                    units.Short,
                    summed(selector("db_pool_size", POOL)),
                ),
                stat_panel(
                    "Checkout wait p99",
                    "How long a request waited for a connection.",
                    units.Seconds,
                    quantile(0.99, WAIT, POOL),
                    steps=[(0.01, "orange"), (0.5, "red")],
                ),
                stat_panel(
                    "Checkout timeouts in range",
                    "Waits that ran out over the dashboard's time range; each one a 503.",
                    units.Short,
                    increase_in_range(TIMEOUTS, POOL),
                    steps=[(1, "red")],
                    decimals=0,
                ),
            ]
        ],
    )


def _pools() -> Row:
    return Row(
        "Pools",
        [
            [
                timeseries_panel(
                    "Connections checked out",
                    "Connections in use by requests now.",
                    units.Short,
                    Query(_gauge("db_pool_checked_out"), POOL_LEGEND),
                ),
                timeseries_panel(
                    "Pool size",
                    "Connections each pool keeps (its configured size).",
                    units.Short,
                    Query(_gauge("db_pool_size"), POOL_LEGEND),
                ),
            ],
            [
                timeseries_panel(
                    "Overflow",
                    "Connections beyond the pool's size; "
                    "negative: kept connections not opened yet.",
                    units.Short,
                    Query(_gauge("db_pool_overflow"), POOL_LEGEND),
                    min_value=None,
                ),
                timeseries_panel(
                    "Checked out / pool size",
                    "Use of each pool; at 100% with no overflow left, requests wait "
                    "(DBPoolExhausted).",
                    units.PercentUnit,
                    Query(
                        f"{_gauge('db_pool_checked_out')} / {_gauge('db_pool_size')}", POOL_LEGEND
                    ),
                    steps=[(1, "red")],
                ),
            ],
        ],
    )


def _checkouts() -> Row:
    return Row(
        "Checkouts",
        [
            [
                timeseries_panel(
                    f"Checkout wait p{percentile}",
                    f"{percentile}th percentile of the wait for a pooled connection.",
                    units.Seconds,
                    Query(quantile(percentile / 100, WAIT, POOL, BY_POOL), POOL_LEGEND),
                )
                for percentile in (95, 99)
            ],
            [
                timeseries_panel(
                    "Checkout timeouts",
                    "Waits that ran out per second, each one a 503 (DBPoolCheckoutTimeouts).",
                    units.RequestsPerSecond,
                    Query(rate_sum(TIMEOUTS, POOL, BY_POOL), POOL_LEGEND),
                ),
                timeseries_panel(
                    "Checkouts",
                    "Connections handed out per second.",
                    units.RequestsPerSecond,
                    Query(rate_sum(f"{WAIT}_count", POOL, BY_POOL), POOL_LEGEND),
                ),
            ],
        ],
    )


def build() -> dashboard_models.Dashboard:
    return new_dashboard(
        uid="pyservices-databases",
        title="Databases: connection pools",
        description="Connection pools per service, mode and database: size, use, waits, timeouts.",
        tag="databases",
        variables=[variables.service(), variables.mode(), variables.database()],
        rows=[_overview(), _pools(), _checkouts()],
    )
