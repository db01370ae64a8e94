"""The dashboards are code (observability/src/grafana_dashboards, Grafana's Python SDK):
the committed JSON must be what the code makes, and must hold only what Grafana's own
types hold. `make dashboards` regenerates the files."""

import copy
import json
import re
import shutil
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dashboard_models

from grafana_dashboards.__main__ import main
from grafana_dashboards.layout import Row, place
from grafana_dashboards.panels import Query, stat_panel, timeseries_panel
from grafana_dashboards.render import DASHBOARDS_DIR, stale, write

ROOT = Path(__file__).resolve().parents[2]
# What Grafana's Prometheus datasource reads from an annotation and the core schema
# (so the SDK's AnnotationQuery) has no field for: grafana_dashboards.annotations.
PROMETHEUS_ANNOTATION_FIELDS = {"step", "titleFormat", "tagKeys", "useValueForTime"}


def test_the_committed_dashboards_are_what_the_code_makes():
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


def test_the_check_names_an_edited_a_missing_and_an_unknown_file(dashboards_copy: Path, capsys):
    edited = dashboards_copy / "services.json"
    edited.write_text(edited.read_text().replace('"unit": "reqps"', '"unit": "ops"', 1))
    (dashboards_copy / "worker.json").unlink()
    (dashboards_copy / "handmade.json").write_text("{}\n")

    assert stale(dashboards_copy) == ["handmade.json", "services.json", "worker.json"]
    assert main(["--check", "--dir", str(dashboards_copy)]) == 1
    assert "services.json is not what the code makes" in capsys.readouterr().out


def test_writing_makes_the_files_current_and_says_which_changed(dashboards_copy: Path):
    edited = dashboards_copy / "databases.json"
    edited.write_text(edited.read_text().replace('"title": "Pool size"', '"title": "x"', 1))

    assert write(dashboards_copy) == ["databases.json"]
    assert main(["--check", "--dir", str(dashboards_copy)]) == 0
    assert write(dashboards_copy) == []


def _through_grafanas_types(dashboard: dict) -> dict:
    """The dashboard parsed into the SDK's models (panel options, field config and
    queries by their plugin's types) and written back: what the types do not know is
    dropped."""
    plugins.register_default_plugins()
    parsed = dashboard_models.Dashboard.from_json(copy.deepcopy(dashboard))
    return json.loads(json.dumps(parsed, cls=JSONEncoder))


def _without_prometheus_annotation_fields(dashboard: dict) -> dict:
    dashboard = copy.deepcopy(dashboard)
    for annotation in dashboard["annotations"]["list"]:
        for field in PROMETHEUS_ANNOTATION_FIELDS:
            annotation.pop(field, None)
    return dashboard


@pytest.mark.parametrize("path", sorted(DASHBOARDS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_field_is_one_of_grafanas_types(path: Path):
    dashboard = json.loads(path.read_text())

    assert _through_grafanas_types(dashboard) == _without_prometheus_annotation_fields(dashboard)


def test_a_field_grafana_does_not_know_is_caught():
    dashboard = json.loads((DASHBOARDS_DIR / "worker.json").read_text())
    dashboard["panels"][7]["options"]["legend"]["showAverage"] = True

    assert _through_grafanas_types(dashboard) != dashboard


def test_the_sdk_is_the_build_for_the_grafana_the_chart_deploys():
    """The SDK's builds follow Grafana's lines (`<epoch>!11.4.0`); its types and schema
    version are that Grafana's. Moving the chart's Grafana moves the SDK with it."""
    values = yaml.safe_load((ROOT / "charts" / "pyservices" / "values.yaml").read_text())
    (grafana,) = re.findall(r":(\d+\.\d+)\.\d+$", values["grafana"]["image"])
    _epoch, bang, grafana_line = version("grafana-foundation-sdk").partition("!")

    assert bang, "a build without an epoch is the SDK's next, unreleased Grafana"
    assert grafana_line.rsplit(".", 1)[0] == grafana


# ------------------------------------------------------------------- the grid rule
def _laid_out(*rows: Row) -> list[dict]:
    board = dashboard_builders.Dashboard("t")
    place(board, rows)
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))["panels"]


def _stat(title: str):
    return stat_panel(title, "d", "short", "up")


def _graph(title: str, **options):
    return timeseries_panel(title, "d", "short", Query("up", "l"), **options)


def test_a_line_shares_its_width_and_ids_run_in_order():
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


def test_a_row_may_keep_the_ids_its_panels_had():
    panels = _laid_out(
        Row("new", [[_stat("a")]], first_id=21), Row("old", [[_stat("b")]], first_id=2)
    )

    assert [p["id"] for p in panels] == [21, 22, 2, 3]


def test_a_repeated_panel_takes_a_line_of_its_own():
    repeated = _graph("r", repeat_per="mode")
    (_, panel) = _laid_out(Row("one", [[repeated]]))
    assert panel["gridPos"]["w"] == 12
    assert (panel["repeat"], panel["maxPerRow"]) == ("mode", 2)

    with pytest.raises(ValueError, match="line of its own"):
        _laid_out(Row("one", [[_graph("r", repeat_per="mode"), _graph("s")]]))
    with pytest.raises(ValueError, match="evenly"):
        _laid_out(Row("one", [[_stat(str(n)) for n in range(5)]]))


def test_the_readme_table_names_every_module_of_the_package():
    readme = (ROOT / "observability" / "README.md").read_text()
    table = readme[readme.index("| module | holds |") : readme.index("### Changing a dashboard")]
    named = set(re.findall(r"`(\w+)`", table.split("\n", 2)[2]))
    package = ROOT / "observability" / "src" / "grafana_dashboards"
    modules = {path.stem for path in package.glob("*.py")} - {"__init__"}

    assert modules <= named, f"not in observability/README.md: {sorted(modules - named)}"
