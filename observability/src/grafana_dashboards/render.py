"""The dashboards as the JSON files Grafana provisions, and the check that the files in
the repository are the ones the code makes."""

import json
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dashboard_models

from . import databases, loadtest, services, worker

# observability/dashboards: the chart reads them through charts/pyservices/files/dashboards.
DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "dashboards"

DASHBOARDS: dict[str, Callable[[], dashboard_models.Dashboard]] = {
    "services": services.build,
    "databases": databases.build,
    "worker": worker.build,
    "loadtest": loadtest.build,
}


def render(dashboard: dashboard_models.Dashboard) -> str:
    """The dashboard's JSON model, as committed: two-space indents, a final newline."""
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    """Every dashboard's file name and text."""
    return {f"{name}.json": render(build()) for name, build in DASHBOARDS.items()}


def write(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """Write every dashboard; the names of the files that changed."""
    changed = []
    for name, text in rendered().items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(name)
    return changed


def stale(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """Files that differ from what the code makes, are missing, or that no code makes."""
    expected = rendered()
    on_disk = {path.name: path.read_text() for path in sorted(directory.glob("*.json"))}
    return sorted(
        name for name in expected.keys() | on_disk.keys() if expected.get(name) != on_disk.get(name)
    )
