"""The documents stay true to the code: the tables of servicekit's and
servicecontracts' modules in docs/layout.md list every module there is and no other, and
the modules and names the documents (the README, every page of docs/, the folders'
READMEs) cite (`servicekit.observability.tracing`, `servicekit.db.engines.violates`,
`clusterkit.cluster_smoke`, `testkit.forgeries`, `worker_service.liveness`) exist.

Static: the sources are read, never imported (importing a service's `main` or the
worker's `celery_app` would read its settings from the environment)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICEKIT = ROOT / "libs" / "servicekit" / "src" / "servicekit"
CONTRACTS = ROOT / "libs" / "contracts" / "src" / "servicecontracts"
# The page with the tables of modules.
LAYOUT = ROOT / "docs" / "layout.md"
# The documents that name servicekit's and the services' modules.
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "services" / "items" / "README.md",
    ROOT / "observability" / "README.md",
]
# Where each top-level package cited in the documents lives.
PACKAGES = {
    "servicekit": SERVICEKIT,
    "servicecontracts": CONTRACTS,
    "devstack": ROOT / "libs" / "devstack" / "src" / "devstack",
    "clusterkit": ROOT / "libs" / "clusterkit" / "src" / "clusterkit",
    "apidocs": ROOT / "libs" / "apidocs" / "src" / "apidocs",
    "testkit": ROOT / "libs" / "testkit" / "src" / "testkit",
    **{
        f"{service}_service": ROOT / "services" / service / "src" / f"{service}_service"
        for service in ("users", "items", "tasks", "worker")
    },
}

TABLE_INTRO = "`servicekit`, its subpackages lowest layer first, one module per concern:"
# The layout page's tables of modules: the line before each, and the package it lists.
TABLES = {TABLE_INTRO: SERVICEKIT, "`servicecontracts`, one module per contract:": CONTRACTS}
# `servicekit.db.engines.violates`, `worker_service.jobs.views`: dotted names of lower-case parts.
CITED = re.compile(
    r"\b(servicekit|servicecontracts|devstack|clusterkit|apidocs|testkit"
    r"|(?:users|items|tasks|worker)_service)"
    r"((?:\.[a-z_][a-z0-9_]*)+)"
)


def module_files(package: Path) -> set[str]:
    """The package's modules, those of its subpackages as `subpackage.module`."""
    return {
        ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("*.py")
        if path.stem != "__init__"
    }


def table_modules(text: str, intro: str = TABLE_INTRO) -> list[str]:
    """The module names in the first column of the table after `intro`, in order."""
    lines = text.splitlines()
    start = lines.index(intro)
    rows: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip() and not rows:
            continue  # the blank line between the intro and the table
        if not line.startswith("|"):
            break
        rows.append(line)
    assert len(rows) > 2, f"no table after {intro!r} in {LAYOUT.relative_to(ROOT)}"
    header, separator, *body = rows
    assert header.replace(" ", "") == "|module|what|"
    assert set(separator) <= {"|", "-", " ", ":"}
    names = []
    for row in body:
        first_cell = row.split("|")[1]
        cited = re.findall(r"`([^`]+)`", first_cell)
        assert cited, f"a row of the table after {intro!r} names no module: {row}"
        names += cited
    return names


@pytest.mark.parametrize("intro", TABLES, ids=lambda intro: TABLES[intro].name)
def test_the_table_lists_every_module_and_no_other(intro: str) -> None:
    listed = table_modules(LAYOUT.read_text(), intro)
    existing = module_files(TABLES[intro])
    assert not sorted(existing - set(listed)), f"modules missing from the table after {intro}"
    assert not sorted(set(listed) - existing), f"the table after {intro} names no such module"
    duplicates = sorted({name for name in listed if listed.count(name) > 1})
    assert not duplicates, f"listed twice in the table after {intro}: {duplicates}"


def test_the_table_is_found_the_way_the_test_reads_it() -> None:
    # The parser itself: a module missing from a table, or one too many, is noticed.
    text = "\n".join(
        [
            TABLE_INTRO,
            "",
            "| module | what |",
            "|---|---|",
            "| `db` | engines |",
            "| `errors`, `problems` | errors |",
            "",
            "| other | table |",
        ]
    )
    assert table_modules(text) == ["db", "errors", "problems"]


def _top_level_names(path: Path) -> set[str]:
    """What a module defines or imports at its top level."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def resolves(package: str, parts: list[str]) -> bool:
    """Whether `package.parts...` is a module, or a module and a name defined in it."""
    folder = PACKAGES[package]
    for index, part in enumerate(parts):
        if (folder / part).is_dir():
            folder = folder / part
            continue
        module = folder / f"{part}.py"
        if not module.exists():
            return False
        rest = parts[index + 1 :]
        # A name in the module, and what follows it an attribute of that (not checked).
        return not rest or rest[0] in _top_level_names(module)
    return True  # a package


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_modules_a_document_cites_exist(document: Path) -> None:
    cited = {
        (match.group(1), match.group(2).lstrip("."))
        for match in CITED.finditer(document.read_text())
    }
    missing = sorted(
        f"{package}.{dotted}"
        for package, dotted in cited
        if not resolves(package, dotted.split("."))
    )
    assert not missing, f"{document.relative_to(ROOT)} cites what does not exist: {missing}"
