"""Template variables: multi-value, with "All" selected, matched with `=~` in the queries
(`promql.variable`). Values come from Prometheus (`label_values`) or from a fixed list.
"""

from collections.abc import Sequence

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.models import dashboard as dashboard_models

from .panels import prometheus_datasource

ALL = "$__all"


def _all_selected() -> dashboard_models.VariableOption:
    return dashboard_models.VariableOption(selected=True, text=["All"], value=[ALL])


def label_values(
    name: str, label: str, metric: str, metric_label: str
) -> dashboard_builders.QueryVariable:
    """The values `metric_label` takes on `metric`, asked again when the time range changes."""
    return (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .datasource(prometheus_datasource())
        .query(f"label_values({metric}, {metric_label})")
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .current(_all_selected())
        .options([])
        .hide(dashboard_models.VariableHide.DONT_HIDE)
    )


def fixed_values(name: str, label: str, values: Sequence[str]) -> dashboard_builders.CustomVariable:
    """A variable whose values are known in advance (modes, databases)."""
    options = [
        dashboard_models.VariableOption(selected=True, text="All", value=ALL),
        *(
            dashboard_models.VariableOption(selected=False, text=value, value=value)
            for value in values
        ),
    ]
    return (
        dashboard_builders.CustomVariable(name)
        .label(label)
        .values(",".join(values))
        .multi(True)
        .include_all(True)
        .current(_all_selected())
        .options(options)
        .hide(dashboard_models.VariableHide.DONT_HIDE)
    )


def service() -> dashboard_builders.QueryVariable:
    return label_values("service", "Service", "http_requests_total", "service")


def mode() -> dashboard_builders.CustomVariable:
    """`async` (/api/...) or `sync` (/sync/api/...)."""
    return fixed_values("mode", "Mode", ["async", "sync"])


def database() -> dashboard_builders.CustomVariable:
    return fixed_values("database", "Database", ["postgresql", "mysql"])
