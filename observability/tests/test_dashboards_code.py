"""The dashboards are code (observability/src/grafana_dashboards, Grafana's Python SDK):
the committed JSON must be what the code makes, and must hold only what Grafana's own
types hold. `make dashboards` regenerates the files."""

import copy
import json
import re
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dashboard_models

from grafana_dashboards.__main__ import main
from grafana_dashboards.layout import Row, place
from grafana_dashboards.panels import Cell, Query, stat_panel, timeseries_panel
from grafana_dashboards.render import DASHBOARDS_DIR, stale, write

ROOT = Path(__file__).resolve().parents[2]
# What Grafana's Prometheus datasource reads from an annotation and the core schema
# (so the SDK's AnnotationQuery) has no field for: grafana_dashboards.annotations.
PROMETHEUS_ANNOTATION_FIELDS = {"step", "titleFormat", "tagKeys", "useValueForTime"}


def test_the_committed_dashboards_are_what_the_code_makes() -> None:
    differing = stale()
    assert not differing, (
        f"{differing} in observability/dashboards differ from what observability/src/"
        "grafana_dashboards makes: change the code, then run `make dashboards`"
    )


@pytest.fixture
def dashboards_copy(tmp_path: Path) -> Path:
    for path in DASHBOARDS_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_the_check_names_an_edited_a_missing_and_an_unknown_file(
    dashboards_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = dashboards_copy / "services.json"
    edited.write_text(edited.read_text().replace('"unit": "reqps"', '"unit": "ops"', 1))
    (dashboards_copy / "worker.json").unlink()
    (dashboards_copy / "handmade.json").write_text("{}\n")

    assert stale(dashboards_copy) == ["handmade.json", "services.json", "worker.json"]
    assert main(["--check", "--dir", str(dashboards_copy)]) == 1
    assert "services.json is not what the code makes" in capsys.readouterr().out


def test_writing_makes_the_files_current_and_says_which_changed(dashboards_copy: Path) -> None:
    edited = dashboards_copy / "databases.json"
    edited.write_text(edited.read_text().replace('"title": "Pool size"', '"title": "x"', 1))

    assert write(dashboards_copy) == ["databases.json"]
    assert main(["--check", "--dir", str(dashboards_copy)]) == 0
    assert write(dashboards_copy) == []


def _through_grafanas_types(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The dashboard parsed into the SDK's models (panel options, field config and
    queries by their plugin's types) and written back: what the types do not know is
    dropped."""
    plugins.register_default_plugins()
    parsed = dashboard_models.Dashboard.from_json(copy.deepcopy(dashboard))
    result: dict[str, Any] = json.loads(json.dumps(parsed, cls=JSONEncoder))
    return result


def _without_prometheus_annotation_fields(dashboard: dict[str, Any]) -> dict[str, Any]:
    dashboard = copy.deepcopy(dashboard)
    for annotation in dashboard["annotations"]["list"]:
        for field in PROMETHEUS_ANNOTATION_FIELDS:
            annotation.pop(field, None)
    return dashboard


@pytest.mark.parametrize("path", sorted(DASHBOARDS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_field_is_one_of_grafanas_types(path: Path) -> None:
    dashboard = json.loads(path.read_text())

    assert _through_grafanas_types(dashboard) == _without_prometheus_annotation_fields(dashboard)


def test_a_field_grafana_does_not_know_is_caught() -> None:
    dashboard = json.loads((DASHBOARDS_DIR / "worker.json").read_text())
    dashboard["panels"][7]["options"]["legend"]["showAverage"] = True

    assert _through_grafanas_types(dashboard) != dashboard


# Grafana loads a dashboard of an older schemaVersion by migrating it forward, step by
# step (its DashboardMigrator, and in recent releases the same migrations server-side), so
# the chart's Grafana reads what an SDK build for its own or an older line writes. A
# build for a newer line, or "next" (no epoch: Grafana's main branch, no release), may
# write a schema the chart's Grafana has never heard of. The SDK's builds stop at Grafana
# 11.6 while the chart runs 13, so "the build for the chart's line" cannot hold; "a
# released line not newer than the chart's, writing a schemaVersion it reads" can.
# Per Grafana major, a schemaVersion that every one of its releases reads (each writes
# that one or a newer one): Grafana's own migrations (apps/dashboard/pkg/migration/
# schemaversion, LATEST_VERSION) reach 42 before Grafana 13.
SCHEMA_VERSION_READ_BY_MAJOR = {13: 42}


def _line(version_text: str) -> tuple[int, int]:
    major, minor = version_text.split(".")[:2]
    return int(major), int(minor)


def why_grafana_cannot_read(sdk_version: str, grafana_image: str, schema_version: int) -> str:
    """Why the Grafana of `grafana_image` may not read dashboards of `schema_version`
    made by SDK build `sdk_version`; empty when it reads them."""
    _epoch, bang, build = sdk_version.partition("!")
    if not bang:
        return f"{sdk_version} is the SDK's next build, for no released Grafana"
    (grafana,) = re.findall(r":(\d+\.\d+)\.\d+$", grafana_image)
    if _line(build) > _line(grafana):
        return f"the SDK build for Grafana {build} is newer than the chart's Grafana {grafana}"
    reads = SCHEMA_VERSION_READ_BY_MAJOR.get(_line(grafana)[0])
    if reads is None:
        return f"add Grafana {grafana}'s newest schemaVersion to SCHEMA_VERSION_READ_BY_MAJOR"
    if schema_version > reads:
        return f"schemaVersion {schema_version} is newer than Grafana {grafana}'s {reads}"
    return ""


def test_the_charts_grafana_reads_what_the_sdk_build_writes() -> None:
    values = yaml.safe_load((ROOT / "charts" / "pyservices" / "values.yaml").read_text())
    written = {
        json.loads(path.read_text())["schemaVersion"] for path in DASHBOARDS_DIR.glob("*.json")
    }

    assert written == {dashboard_models.Dashboard().schema_version}, "not the SDK build's"
    (schema_version,) = written
    sdk = version("grafana-foundation-sdk")
    assert not why_grafana_cannot_read(sdk, values["grafana"]["image"], schema_version)


@pytest.mark.parametrize(
    ("sdk_version", "grafana_image", "schema_version", "reason"),
    [
        ("1769699520!11.4.0", "grafana/grafana:11.3.1", 39, "newer than the chart's"),
        ("1769699520!11.6.0", "grafana/grafana:11.10.0", 41, "add Grafana 11.10's"),
        ("0.0.1", "grafana/grafana:13.3.2", 39, "next build"),
        ("1769699520!11.4.0", "grafana/grafana:13.3.2", 43, "schemaVersion 43 is newer"),
        ("1769699520!11.4.0", "grafana/grafana:13.3.2", 39, ""),
    ],
)
def test_a_build_the_charts_grafana_may_not_read_is_named(
    sdk_version: str, grafana_image: str, schema_version: int, reason: str
) -> None:
    found = why_grafana_cannot_read(sdk_version, grafana_image, schema_version)

    assert (reason in found) if reason else not found


# ------------------------------------------------------------------- the grid rule
def _laid_out(*rows: Row) -> list[dict[str, Any]]:
    board = dashboard_builders.Dashboard("t")
    place(board, rows)
    result: list[dict[str, Any]] = json.loads(json.dumps(board.build(), cls=JSONEncoder))["panels"]
    return result


def _stat(title: str) -> Cell:
    return stat_panel(title, "d", "short", "up")


def _graph(title: str, **options: Any) -> Cell:
    return timeseries_panel(title, "d", "short", Query("up", "l"), **options)


def test_a_line_shares_its_width_and_ids_run_in_order() -> None:
    panels = _laid_out(
        Row("one", [[_stat("a"), _stat("b"), _stat("c")], [_graph("d")]]),
        Row("two", [[_graph("e"), _graph("f")]], collapsed=True),
    )

    grid = [(p["id"], p["title"], p["gridPos"]) for p in panels]
    assert grid == [
        (1, "one", {"h": 1, "w": 24, "x": 0, "y": 0}),
        (2, "a", {"h": 4, "w": 8, "x": 0, "y": 1}),
        (3, "b", {"h": 4, "w": 8, "x": 8, "y": 1}),
        (4, "c", {"h": 4, "w": 8, "x": 16, "y": 1}),
        (5, "d", {"h": 8, "w": 24, "x": 0, "y": 5}),
        (6, "two", {"h": 1, "w": 24, "x": 0, "y": 13}),
    ]
    inside = [(p["id"], p["gridPos"]["x"], p["gridPos"]["y"]) for p in panels[-1]["panels"]]
    assert inside == [(7, 0, 14), (8, 12, 14)]


def test_a_row_may_keep_the_ids_its_panels_had() -> None:
    panels = _laid_out(
        Row("new", [[_stat("a")]], first_id=21), Row("old", [[_stat("b")]], first_id=2)
    )

    assert [p["id"] for p in panels] == [21, 22, 2, 3]


def test_a_repeated_panel_takes_a_line_of_its_own() -> None:
    repeated = _graph("r", repeat_per="mode")
    (_, panel) = _laid_out(Row("one", [[repeated]]))
    assert panel["gridPos"]["w"] == 12
    assert (panel["repeat"], panel["maxPerRow"]) == ("mode", 2)

    with pytest.raises(ValueError, match="line of its own"):
        _laid_out(Row("one", [[_graph("r", repeat_per="mode"), _graph("s")]]))
    with pytest.raises(ValueError, match="evenly"):
        _laid_out(Row("one", [[_stat(str(n)) for n in range(5)]]))


def test_the_readme_table_names_every_module_of_the_package() -> None:
    readme = (ROOT / "observability" / "README.md").read_text()
    table = readme[readme.index("| module | holds |") : readme.index("### Changing a dashboard")]
    named = set(re.findall(r"`(\w+)`", table.split("\n", 2)[2]))
    package = ROOT / "observability" / "src" / "grafana_dashboards"
    modules = {path.stem for path in package.glob("*.py")} - {"__init__"}

    assert modules <= named, f"not in observability/README.md: {sorted(modules - named)}"
