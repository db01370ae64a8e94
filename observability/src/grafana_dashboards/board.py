"""What every dashboard of the project shares: its settings, the menu of the others,
Grafana's built-in annotation, and the rows laid out by `layout`."""

from collections.abc import Sequence

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as dashboard_models

from . import annotations
from .layout import Row, place

PROJECT_TAG = "pyservices"


def _menu_of_the_others() -> dashboard_builders.DashboardLink:
    """A "Dashboards" drop-down of every dashboard tagged pyservices, keeping the time."""
    return (
        dashboard_builders.DashboardLink("Dashboards")
        .type(dashboard_models.DashboardLinkType.DASHBOARDS)
        .tags([PROJECT_TAG])
        .as_dropdown(True)
        .include_vars(False)
        .keep_time(True)
        .icon("external link")
        .target_blank(False)
        .tooltip("")
        .url("")
    )


def new_dashboard(
    *,
    uid: str,
    title: str,
    description: str,
    tag: str,
    variables: Sequence[cogbuilder.Builder[dashboard_models.VariableModel]],
    rows: Sequence[Row],
    extra_annotations: Sequence[cogbuilder.Builder[dashboard_models.AnnotationQuery]] = (),
) -> dashboard_models.Dashboard:
    """A dashboard of the project: the last hour, refreshed every 30 s, one crosshair
    across panels, its uid fixed (links and provisioning find it by uid)."""
    board = (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([PROJECT_TAG, tag])
        .version(1)
        .editable()
        .tooltip(dashboard_models.DashboardCursorSync.CROSSHAIR)
        .timezone("browser")
        .refresh("30s")
        .time("now-1h", "now")
        .fiscal_year_start_month(0)
        .live_now(False)
        .week_start("")
        .annotations([annotations.built_in(), *extra_annotations])
        .variables(list(variables))
        .link(_menu_of_the_others())
    )
    place(board, rows)
    return board.build()
