"""The repository's packages stand in layers, and no import goes up or round in a circle.

A package imports only packages of the layers below its own (never one beside it):

0. servicecontracts, pyservices_client: what two parties agree on; the generated client.
1. servicekit: what every service runs on.
2. users_service, items_service, tasks_service, worker_service: the deployables; and
   devstack, the local stack, which starts them as processes and imports none of them.
3. apidocs (the API document, from the services' apps), clusterkit (images, charts,
   clusters), loadtest, grafana_dashboards: the tools on top.
4. testkit: the one pytest plugin, with the harness the tests drive.

servicekit itself stands in layers too, one subpackage each (SERVICEKIT_LAYERS, as its
`__init__` lists them): a module imports only its own subpackage and those below it.

Tests stand above every layer and import what they test. Modules import in no circle
either, within a package or across packages: a module that two others need lives apart
from both (loadtest.cells beside loadtest.report and loadtest.async_lead).

Static: the sources are read with ast, never imported; an import inside a function or
under TYPE_CHECKING counts as much as one at the top.
"""

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = (
    "libs/*/src",
    "services/*/src",
    "loadtest/src",
    "observability/src",
    "clients/*/src",
)
LAYERS: list[set[str]] = [
    {"servicecontracts", "pyservices_client"},
    {"servicekit"},
    {"users_service", "items_service", "tasks_service", "worker_service", "devstack"},
    {"apidocs", "clusterkit", "loadtest", "grafana_dashboards"},
    {"testkit"},
]
LAYER_OF = {package: index for index, layer in enumerate(LAYERS) for package in layer}
# servicekit's subpackages, lowest first; `app` is the one module that wires them all.
SERVICEKIT_LAYERS = [
    "core",
    "security",
    "db",
    "observability",
    "queries",
    "clients",
    "web",
    "faults",
    "app",
]


def module_files(roots: Iterable[Path]) -> dict[str, Path]:
    """Dotted module name -> its file, for every module under the source roots."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The known modules that module `name` imports (a name imported from a package that
    is a module of its own counts as that module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def known_prefix(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    found: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {known_prefix(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in known else known_prefix(source))
    return {module for module in found if module is not None and module != name}


def import_graph(roots: Iterable[Path]) -> dict[str, set[str]]:
    known = module_files(roots)
    return {name: imported_modules(name, path, known) for name, path in known.items()}


def top(module: str) -> str:
    return module.partition(".")[0]


def package_graph(modules: Mapping[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {top(module): set() for module in modules}
    for module, imported in modules.items():
        packages[top(module)] |= {top(other) for other in imported} - {top(module)}
    return packages


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = lowest[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                lowest[node] = min(lowest[node], lowest[other])
            elif other in on_stack:
                lowest[node] = min(lowest[node], index[other])
        if lowest[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


GRAPH = import_graph(path for pattern in SOURCE_ROOTS for path in sorted(ROOT.glob(pattern)))
PACKAGES = package_graph(GRAPH)


def test_every_package_has_a_layer() -> None:
    assert not sorted(set(PACKAGES) - set(LAYER_OF)), "add it to LAYERS (and the table above)"
    assert not sorted(set(LAYER_OF) - set(PACKAGES)), "LAYERS names a package that is gone"


@pytest.mark.parametrize("package", sorted(LAYER_OF))
def test_a_package_imports_only_packages_of_lower_layers(package: str) -> None:
    upward = sorted(
        other for other in PACKAGES.get(package, ()) if LAYER_OF[other] >= LAYER_OF[package]
    )
    assert not upward, f"{package} (layer {LAYER_OF[package]}) imports {upward}"


def servicekit_part(module: str) -> str | None:
    """The subpackage (or `app`) of a servicekit module; None for servicekit itself."""
    parts = module.split(".")
    return parts[1] if parts[0] == "servicekit" and len(parts) > 1 else None


SERVICEKIT_MODULES = sorted(module for module in GRAPH if servicekit_part(module))


def test_every_servicekit_module_is_in_a_layer_of_servicekit() -> None:
    parts = {part for module in SERVICEKIT_MODULES if (part := servicekit_part(module))}
    assert not sorted(parts - set(SERVICEKIT_LAYERS)), "add it to SERVICEKIT_LAYERS"
    assert not sorted(set(SERVICEKIT_LAYERS) - parts), "SERVICEKIT_LAYERS names a part that is gone"
    subpackages = {module.rpartition(".")[0] for module in SERVICEKIT_MODULES}
    loose = [m for m in SERVICEKIT_MODULES if m.count(".") == 1 and m not in subpackages]
    assert loose == ["servicekit.app"], "a servicekit module belongs in a subpackage"


@pytest.mark.parametrize("module", SERVICEKIT_MODULES)
def test_a_servicekit_module_imports_no_subpackage_above_its_own(module: str) -> None:
    level = SERVICEKIT_LAYERS.index(servicekit_part(module) or "")
    upward = sorted(
        other
        for other in GRAPH[module]
        if (part := servicekit_part(other)) and SERVICEKIT_LAYERS.index(part) > level
    )
    assert not upward, f"{module} ({SERVICEKIT_LAYERS[level]}) imports {upward}"


def test_no_import_cycle_between_servicekit_subpackages() -> None:
    parts: dict[str, set[str]] = {part: set() for part in SERVICEKIT_LAYERS}
    for module in SERVICEKIT_MODULES:
        part = servicekit_part(module)
        assert part is not None
        parts[part] |= {
            other_part
            for other in GRAPH[module]
            if (other_part := servicekit_part(other)) and other_part != part
        }
    assert cycles(parts) == []


def test_no_import_cycle_between_packages() -> None:
    assert cycles(PACKAGES) == []


def test_no_import_cycle_between_modules() -> None:
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle_through_a_relative_import(tmp_path: Path) -> None:
    package = tmp_path / "src" / "circular"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "report.py").write_text("from .lead import ratio\n")
    (package / "lead.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from circular.report import Cell\n"
    )
    (package / "plain.py").write_text("import circular.lead\n")

    graph = import_graph([tmp_path / "src"])

    assert graph["circular.plain"] == {"circular.lead"}
    assert cycles(graph) == [["circular.lead", "circular.report"]]
