"""Static checks of the Grafana dashboards, and every query evaluated by a real (empty)
Prometheus so that a syntax error names its panel.

Whether each panel returns data once the system has run is the job of a live test that
uses the same helpers (observability.tests.dashboards)."""

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from .dashboards import (
    DASHBOARDS_DIR,
    builtin_variables,
    iter_panels,
    load_dashboards,
    panel_queries,
    panel_targets,
    template_variables,
    used_variables,
)
from .prometheus import QueryError, instant_query
from .promql import is_known, known_series_names, metric_names

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
EXPECTED = {"services", "databases", "worker", "loadtest"}
GRID_COLUMNS = 24
DASHBOARDS = load_dashboards()
STEMS = sorted(DASHBOARDS)

# A matcher whose value is a string: `label=~"..."`; the op and value are groups.
_MATCHER = re.compile(r'[a-zA-Z_]\w*\s*(=~|!~|!=|=)\s*"((?:\\.|[^"\\])*)"')
# The range of a rate()-like function written as a literal duration: `[5m]`.
_LITERAL_RANGE = re.compile(r"\[\s*\d+[smhdwy]")


def _content_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in iter_panels(dashboard) if panel.get("type") != "row"]


def test_the_four_dashboards_are_there() -> None:
    assert set(DASHBOARDS) == EXPECTED


@pytest.mark.parametrize("path", sorted(DASHBOARDS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_valid_json(path: Path) -> None:
    assert isinstance(json.loads(path.read_text()), dict)


@pytest.mark.parametrize("stem", STEMS)
def test_dashboard_model(stem: str) -> None:
    dashboard = DASHBOARDS[stem]
    assert dashboard.get("id") is None, "no id: Grafana assigns it on import"
    assert dashboard["schemaVersion"] == 39
    assert dashboard.get("uid"), "a fixed uid, so links and provisioning find it"
    assert len(dashboard["uid"]) <= 40
    assert dashboard.get("title")


def test_uids_and_titles_are_unique() -> None:
    assert len({d["uid"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)
    assert len({d["title"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)


@pytest.mark.parametrize("stem", STEMS)
def test_panel_ids_are_unique(stem: str) -> None:
    ids = [panel.get("id") for panel in iter_panels(DASHBOARDS[stem])]
    assert None not in ids
    duplicates = sorted({i for i in ids if i is not None and ids.count(i) > 1})
    assert not duplicates, f"panel ids used twice: {duplicates}"


@pytest.mark.parametrize("stem", STEMS)
def test_every_panel_and_target_uses_the_prometheus_datasource(stem: str) -> None:
    panels = list(iter_panels(DASHBOARDS[stem]))
    wrong = [
        f"panel {panel.get('title')!r}: {panel.get('datasource')}"
        for panel in panels
        if panel.get("datasource") != DATASOURCE
    ]
    wrong += [
        f"target {target.get('refId')} of {panel.get('title')!r}"
        for panel in panels
        for target in panel.get("targets") or []
        if target.get("datasource") != DATASOURCE
    ]
    wrong += [
        f"variable {variable['name']}"
        for variable in template_variables(DASHBOARDS[stem]).values()
        if variable["type"] == "query" and variable.get("datasource") != DATASOURCE
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("stem", STEMS)
def test_every_panel_has_queries_and_a_unit(stem: str) -> None:
    for panel in _content_panels(DASHBOARDS[stem]):
        assert panel.get("title"), f"panel {panel['id']} has no title"
        assert list(panel_targets({"panels": [panel]})), f"{panel['title']!r} has no query"
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        assert unit, f"{panel['title']!r} has no unit"


@pytest.mark.parametrize("stem", STEMS)
def test_target_ref_ids_are_unique_per_panel(stem: str) -> None:
    for panel in _content_panels(DASHBOARDS[stem]):
        refs = [target.get("refId") for target in panel.get("targets", [])]
        assert len(set(refs)) == len(refs), panel["title"]


def _cells(panel: dict[str, Any]) -> set[tuple[int, int]]:
    grid = panel["gridPos"]
    # A panel repeated horizontally fills the rest of its row with its copies.
    right = GRID_COLUMNS if panel.get("repeat") and panel.get("repeatDirection") == "h" else None
    x_end = right or grid["x"] + grid["w"]
    return set(itertools.product(range(grid["x"], x_end), range(grid["y"], grid["y"] + grid["h"])))


def _assert_no_overlap(panels: list[dict[str, Any]]) -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert min(grid["w"], grid["h"]) > 0, panel["title"]
        assert 0 <= grid["x"] <= grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        for cell in _cells(panel):
            assert cell not in taken, f"{panel['title']!r} overlaps {taken[cell]!r} at {cell}"
            taken[cell] = panel["title"]


@pytest.mark.parametrize("stem", STEMS)
def test_grid_has_no_overlaps(stem: str) -> None:
    dashboard = DASHBOARDS[stem]
    _assert_no_overlap(dashboard["panels"])
    # A collapsed row keeps its panels inside, laid out below it for when it opens.
    for row in dashboard["panels"]:
        if row.get("type") == "row" and row.get("collapsed"):
            _assert_no_overlap(row["panels"])
            assert all(p["gridPos"]["y"] > row["gridPos"]["y"] for p in row["panels"])
        elif row.get("type") == "row":
            assert not row.get("panels"), f"open row {row['title']!r} must not nest panels"


@pytest.mark.parametrize("stem", STEMS)
def test_variables(stem: str) -> None:
    dashboard = DASHBOARDS[stem]
    variables = template_variables(dashboard)
    used = set().union(*(used_variables(t["expr"]) for _, t in panel_targets(dashboard)))
    undefined = used - set(variables) - set(builtin_variables("1m"))
    assert not undefined, f"variables used but not defined: {sorted(undefined)}"
    unused = set(variables) - used
    assert not unused, f"variables defined but not used: {sorted(unused)}"
    if "service" in variables:
        service = variables["service"]
        assert service["type"] == "query"
        assert service["query"] == "label_values(http_requests_total, service)"
        assert service["multi"]
        assert service["includeAll"]
    if "mode" in variables:
        mode = variables["mode"]
        assert (mode["type"], mode["query"]) == ("custom", "async,sync")
        assert mode["multi"]
        assert mode["includeAll"]


def test_service_and_mode_where_they_apply() -> None:
    for stem in ("services", "databases", "loadtest"):
        assert {"service", "mode"} <= set(template_variables(DASHBOARDS[stem])), stem


@pytest.mark.parametrize("stem", STEMS)
def test_multi_value_variables_are_matched_as_regexes(stem: str) -> None:
    """`users|items` only works after `=~` (or `!~`), inside the quoted value."""
    dashboard = DASHBOARDS[stem]
    multi = {
        name
        for name, variable in template_variables(dashboard).items()
        if variable.get("multi") or variable.get("includeAll")
    }
    wrong = []
    for panel, target in panel_targets(dashboard):
        expr = target["expr"]
        wrong += [
            f"{panel['title']!r}: {match[0]}"
            for match in _MATCHER.finditer(expr)
            if match[1] in ("=", "!=") and used_variables(match[2]) & multi
        ]
        outside = _MATCHER.sub("", expr)
        if used_variables(outside) & multi:
            wrong.append(f"{panel['title']!r}: a multi-value variable outside a matcher")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("stem", STEMS)
def test_rates_use_the_rate_interval(stem: str) -> None:
    """No literal windows: $__rate_interval (or $__range for totals over the range)."""
    wrong = [
        f"{panel['title']!r}: {target['expr']}"
        for panel, target in panel_targets(DASHBOARDS[stem])
        if _LITERAL_RANGE.search(target["expr"])
    ]
    assert not wrong, "\n".join(wrong)
    exprs = [target["expr"] for _, target in panel_targets(DASHBOARDS[stem])]
    assert any("$__rate_interval" in expr for expr in exprs)


@pytest.mark.parametrize("stem", STEMS)
def test_queries_use_catalogued_metrics(stem: str) -> None:
    known = known_series_names()
    unknown = [
        f"{title!r}: {name}"
        for title, expr in panel_queries(DASHBOARDS[stem], {})
        for name in sorted(metric_names(expr))
        if not is_known(name, known)
    ]
    assert not unknown, "not in observability/README.md:\n" + "\n".join(unknown)


@pytest.mark.parametrize("stem", STEMS)
def test_every_query_evaluates(stem: str, prometheus_url: str) -> None:
    """Prometheus parses and runs each substituted query; with no data the result is
    empty, which is fine here, but a syntax error fails with the panel's title."""
    failures = []
    variables = {"service": ["users", "items", "tasks"], "mode": "async|sync"}
    for title, expr in panel_queries(DASHBOARDS[stem], variables):
        try:
            instant_query(prometheus_url, expr)
        except QueryError as error:
            failures.append(f"{stem} / {title!r}: {error}\n    {expr}")
    assert not failures, "\n".join(failures)


def test_prometheus_reports_a_syntax_error(prometheus_url: str) -> None:
    with pytest.raises(QueryError, match="bad_data"):
        instant_query(prometheus_url, "sum(rate(http_requests_total[1m])")


# ------------------------------------------------------------------- the helper itself
_NESTED = {
    "templating": {
        "list": [
            {"name": "service", "type": "query", "multi": True, "includeAll": True},
            {"name": "mode", "type": "custom", "query": "async,sync", "multi": True},
            {"name": "kind", "type": "query", "allValue": "flush.*"},
        ]
    },
    "panels": [
        {
            "id": 1,
            "title": "top",
            "targets": [
                {"expr": 'rate(a{service=~"$service",mode=~"${mode}"}[$__rate_interval])'},
                {"expr": ""},
            ],
        },
        {
            "id": 2,
            "type": "row",
            "title": "row",
            "collapsed": True,
            "panels": [
                {
                    "id": 3,
                    "title": "nested",
                    "targets": [
                        {"expr": 'increase(b{kind=~"[[kind]]"}[$__range]) / $__range_s'},
                        {"expr": "c[$__interval] offset ${__interval_ms}ms"},
                    ],
                }
            ],
        },
    ],
}


def test_panel_queries_substitutes_and_walks_rows() -> None:
    queries = panel_queries(_NESTED, {"service": ["users", "items"]}, rate_interval="2m")
    assert queries == [
        ("top", 'rate(a{service=~"users|items",mode=~"async|sync"}[2m])'),
        ("nested", 'increase(b{kind=~"flush.*"}[1h]) / 3600'),
        ("nested", "c[2m] offset 120000ms"),
    ]


def test_panel_queries_defaults_and_overrides() -> None:
    queries = dict(panel_queries(_NESTED, {"mode": "sync", "__range": "15m"}))
    assert queries["top"] == 'rate(a{service=~".*",mode=~"sync"}[1m])'
    listed = panel_queries(_NESTED, {"service": "$__all"})
    assert listed[0][1] == 'rate(a{service=~".*",mode=~"async|sync"}[1m])'
    assert listed[1][1] == 'increase(b{kind=~"flush.*"}[1h]) / 3600'


def test_panel_queries_refuses_an_unknown_variable() -> None:
    dashboard = {"panels": [{"title": "t", "targets": [{"expr": "up{job=~'$nope'}"}]}]}
    with pytest.raises(KeyError, match="nope"):
        panel_queries(dashboard, {})


@pytest.mark.parametrize("stem", STEMS)
def test_nothing_is_left_to_substitute(stem: str) -> None:
    for title, expr in panel_queries(DASHBOARDS[stem], {}):
        assert "$" not in expr, f"{title!r}: {expr}"
        assert "[[" not in expr, f"{title!r}: {expr}"
