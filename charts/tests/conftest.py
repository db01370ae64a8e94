"""The chart rendered by the real helm, for the render, schema and contract tests."""

from pathlib import Path
from typing import Any

import pytest

from clusterkit.helm import NoHelm, chart_dir, find_helm, template

VALUE_SETS = ["defaults", *sorted(path.stem for path in (chart_dir() / "ci").glob("*.yaml"))]


def value_files(name: str) -> list[Path]:
    return [] if name == "defaults" else [chart_dir() / "ci" / f"{name}.yaml"]


@pytest.fixture(scope="session")
def helm() -> str:
    try:
        return find_helm()
    except NoHelm as error:
        pytest.fail(str(error))


_renders: dict[str, list[dict[str, Any]]] = {}


@pytest.fixture(params=VALUE_SETS)
def rendered(request: pytest.FixtureRequest, helm: str) -> list[dict[str, Any]]:
    """The objects of one value set (each rendered once per session)."""
    if request.param not in _renders:
        _renders[request.param] = template(value_files(request.param))
    return _renders[request.param]


@pytest.fixture(scope="session")
def default_render(helm: str) -> list[dict[str, Any]]:
    if "defaults" not in _renders:
        _renders["defaults"] = template()
    return _renders["defaults"]
