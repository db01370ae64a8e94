"""The two kinds of panel the dashboards use, built with the SDK's typed builders and
dressed the same way everywhere: a stat (one number, coloured by its thresholds) and a
time series (a line per series, a table legend with mean / max / last).

A panel comes back as a `Cell`, the panel and the height it takes on its line; where
it goes (x, y, width, id) is `layout`'s business.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import prometheus as prometheus_models

STAT_HEIGHT = 4
TIMESERIES_HEIGHT = 8
LEGEND_CALCS = ["mean", "max", "lastNotNull"]
# A setting's mean over time means nothing: its legend shows the highest and the last.
SETTING_LEGEND_CALCS = ["max", "lastNotNull"]
# A repeated panel's copies side by side (async and sync for the mode variable).
REPEATS_PER_LINE = 2

# A threshold step above the base colour: (value, colour).
Step = tuple[float, str]


def prometheus_datasource() -> dashboard_models.DataSourceRef:
    """The Prometheus of `make run` and of the chart, provisioned with this fixed uid."""
    return dashboard_models.DataSourceRef(type_val="prometheus", uid="prometheus")


@dataclass(frozen=True)
class Query:
    """A PromQL target and the legend of its series (`{{service}} {{mode}}`)."""

    expr: str
    legend: str


@dataclass
class Cell:
    """A panel and the room it takes. A panel repeated per value of a variable holds
    `per_row` copies side by side, so it fills its line alone."""

    panel: stat.Panel | timeseries.Panel
    height: int
    per_row: int | None = None


def _targets(queries: Sequence[Query]) -> list[cogbuilder.Builder[cogvariants.Dataquery]]:
    return [
        prometheus.Dataquery()
        .datasource(prometheus_datasource())
        .ref_id(chr(ord("A") + index))
        .expr(query.expr)
        .legend_format(query.legend)
        .range()
        .editor_mode(prometheus_models.QueryEditorMode.CODE)
        for index, query in enumerate(queries)
    ]


def _thresholds(base: str, steps: Sequence[Step]) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(dashboard_models.ThresholdsMode.ABSOLUTE)
        .steps(
            [
                dashboard_models.Threshold(value=None, color=base),
                *(dashboard_models.Threshold(value=value, color=color) for value, color in steps),
            ]
        )
    )


Panel = TypeVar("Panel", stat.Panel, timeseries.Panel)


def _described(
    panel: Panel,
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    steps: Sequence[Step],
    base: str = "green",
    decimals: int | None = None,
) -> Panel:
    """What both kinds of panel carry: text, datasource, unit, thresholds, queries."""
    panel = (
        panel.title(title)
        .description(description)
        .datasource(prometheus_datasource())
        .unit(unit)
        .thresholds(_thresholds(base, steps))
        .targets(_targets(queries))
    )
    return panel if decimals is None else panel.decimals(decimals)


def stat_panel(
    title: str,
    description: str,
    unit: str,
    expr: str,
    *,
    steps: Sequence[Step] = (),
    base: str = "green",
    decimals: int | None = None,
) -> Cell:
    """One number, the last value of `expr`, coloured by its thresholds; its series is
    named after the panel."""
    panel = (
        _described(
            stat.Panel(), title, description, unit, [Query(expr, title)], steps, base, decimals
        )
        .color_scheme(
            dashboard_builders.FieldColor().mode(dashboard_models.FieldColorModeId.THRESHOLDS)
        )
        .reduce_options(
            common_builders.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)
        )
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.AREA)
        .justify_mode(common.BigValueJustifyMode.AUTO)
        .orientation(common.VizOrientation.AUTO)
        .text_mode(common.BigValueTextMode.AUTO)
    )
    return Cell(panel, STAT_HEIGHT)


def timeseries_panel(
    title: str,
    description: str,
    unit: str,
    *queries: Query,
    steps: Sequence[Step] = (),
    min_value: float | None = 0,
    max_value: float | None = None,
    stacked: bool = False,
    setting: bool = False,
    repeat_per: str | None = None,
) -> Cell:
    """Lines over time. Threshold `steps` (an alert's limit) are drawn as lines;
    `stacked` stacks the series; `setting` is for a value that is set, not measured (a
    switch): held until the next sample, no mean in the legend; `repeat_per` repeats
    the panel for each selected value of that variable, two side by side."""
    panel = (
        _described(timeseries.Panel(), title, description, unit, queries, steps)
        .color_scheme(
            dashboard_builders.FieldColor().mode(dashboard_models.FieldColorModeId.PALETTE_CLASSIC)
        )
        .draw_style(common.GraphDrawStyle.LINE)
        .line_width(1)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .span_nulls(False)
        .stacking(
            common_builders.StackingConfig()
            .mode(common.StackingMode.NORMAL if stacked else common.StackingMode.NONE)
            .group("A")
        )
        .thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.LINE
                if steps
                else common.GraphThresholdsStyleMode.OFF
            )
        )
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(SETTING_LEGEND_CALCS if setting else LEGEND_CALCS)
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )
    if setting:
        panel = panel.line_interpolation(common.LineInterpolation.STEP_AFTER)
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    if repeat_per is None:
        return Cell(panel, TIMESERIES_HEIGHT)
    panel = panel.repeat(repeat_per).repeat_direction("h").max_per_row(REPEATS_PER_LINE)
    return Cell(panel, TIMESERIES_HEIGHT, REPEATS_PER_LINE)
