"""servicecontracts depends on nothing of this repository: servicekit and the services
import it, never the other way round, so the two packages make no cycle. Nor does it
import a web framework or Celery: the worker takes a contract without FastAPI, and users
and items without Celery."""

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parents[1]
PACKAGE = CONTRACTS / "src" / "servicecontracts"
# Besides the standard library and itself, all a contract may import.
THIRD_PARTY = {"pydantic", "sqlalchemy"}
FORBIDDEN = {"fastapi", "starlette", "celery", "servicekit", "testkit", "devstack"}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever in it (a function's too)."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            packages |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: a relative import"
            packages.add((node.module or "").partition(".")[0])
    return packages


def test_every_module_imports_only_the_standard_library_pydantic_and_sqlalchemy() -> None:
    allowed = set(sys.stdlib_module_names) | THIRD_PARTY | {"servicecontracts"}
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 5

    beyond = {
        path.name: sorted(imported_packages(path) - allowed)
        for path in modules
        if imported_packages(path) - allowed
    }

    assert beyond == {}


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import servicekit.db.models\nfrom users_service import schemas\n"
        "def late():\n    from items_service.views import ViewCounter\n"
    )

    assert imported_packages(module) == {"servicekit", "users_service", "items_service"}


def test_the_distribution_requires_nothing_of_this_repository() -> None:
    project = tomllib.loads((CONTRACTS / "pyproject.toml").read_text())["project"]
    names = {
        requirement.split(">")[0].split("=")[0].split("[")[0].strip()
        for requirement in project["dependencies"]
    }

    assert names == THIRD_PARTY


# Run in a fresh interpreter: the test session itself has imported every package.
_LOADED = """
import importlib, json, pkgutil, sys
import servicecontracts
for module in pkgutil.iter_modules(servicecontracts.__path__, "servicecontracts."):
    importlib.import_module(module.name)
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def test_importing_every_contract_loads_no_framework_and_nothing_of_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LOADED], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))

    assert "servicecontracts" in loaded
    assert loaded.isdisjoint(FORBIDDEN)
    assert not [name for name in loaded if name.endswith("_service")]
