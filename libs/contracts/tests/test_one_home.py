"""Every cross-service contract has one home, servicecontracts: no service, and not
servicekit, declares again a model, a table or a key that the contracts declare; each
side imports it.

Declarations by name are read from the sources (classes, tables, module constants);
tables by shape are compared live: the services' SQLAlchemy metadata, which their
migrations are checked against, holds the contracts' tables and columns as declared."""

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, Table, TableClause
from sqlalchemy.dialects import mysql, postgresql

import servicecontracts

ROOT = Path(__file__).resolve().parents[3]
# What must take the contracts rather than declare them.
SOURCES = [
    ROOT / "libs" / "servicekit" / "src" / "servicekit",
    *sorted((ROOT / "services").glob("*/src/*_service")),
]


def contract_modules() -> list[ModuleType]:
    return [
        importlib.import_module(module.name)
        for module in pkgutil.iter_modules(servicecontracts.__path__, "servicecontracts.")
    ]


CONTRACT_CLASSES = {
    name: value
    for module in contract_modules()
    for name, value in vars(module).items()
    if inspect.isclass(value) and value.__module__ == module.__name__
}
# Tables a contract declares whole (`Table`), and parts of a service's own table
# (`table()`: the columns another service writes).
CONTRACT_TABLES = {
    value.name: value
    for module in contract_modules()
    for value in vars(module).values()
    if isinstance(value, TableClause)
}
WHOLE_TABLES = {name for name, table in CONTRACT_TABLES.items() if isinstance(table, Table)}


def fields(cls: type) -> frozenset[str]:
    if issubclass(cls, BaseModel):
        return frozenset(cls.model_fields)
    if dataclasses.is_dataclass(cls):
        return frozenset(field.name for field in dataclasses.fields(cls))
    return frozenset()


# The field sets no other class may have: the contracts' models' and whole tables' rows.
CONTRACT_SHAPES = {fields(cls): name for name, cls in CONTRACT_CLASSES.items() if fields(cls)} | {
    frozenset(CONTRACT_TABLES[name].columns.keys()): name for name in WHOLE_TABLES
}


def _string_constants(tree: ast.Module) -> Iterator[tuple[str, str, int]]:
    """(name, value, line) of the module-level names bound to a string literal."""
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if not targets:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    yield target.id, value.value, node.lineno


CONTRACT_STRINGS = {
    value: f"{module.__name__}.{name}"
    for module in contract_modules()
    for name, value, _line in _string_constants(ast.parse(Path(module.__file__ or "").read_text()))
}


def declarations(path: Path) -> Iterator[tuple[str, str, int]]:
    """(what, name, line) of what a module declares that a contract might: classes (and
    the field names they annotate), tables, and module constants bound to strings."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            yield "class", node.name, node.lineno
            annotated = frozenset(
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            )
            if annotated in CONTRACT_SHAPES:
                yield "fields", CONTRACT_SHAPES[annotated], node.lineno
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(
                        isinstance(t, ast.Name) and t.id == "__tablename__" for t in item.targets
                    )
                    and isinstance(item.value, ast.Constant)
                ):
                    yield "mapped table", str(item.value.value), item.lineno
        elif isinstance(node, ast.Call) and node.args:
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if isinstance(node.func, ast.Name):
                called = node.func.id
            first = node.args[0]
            if called in ("Table", "table") and isinstance(first, ast.Constant):
                yield "table", str(first.value), node.lineno
    for _name, value, line in _string_constants(tree):
        yield "string", value, line


def trespasses(path: Path) -> list[str]:
    """What the module declares that a contract declares already."""
    found = []
    for what, name, line in declarations(path):
        if (
            (what == "class" and name in CONTRACT_CLASSES)
            or what == "fields"
            or (what == "table" and name in CONTRACT_TABLES)
            or (what == "mapped table" and name in WHOLE_TABLES)
            or (what == "string" and name in CONTRACT_STRINGS)
        ):
            found.append(f"{path.relative_to(ROOT)}:{line}: {what} {name!r}")
    return found


def source_files() -> list[Path]:
    return sorted(path for folder in SOURCES for path in folder.rglob("*.py"))


def test_the_contracts_declare_what_the_checks_look_for() -> None:
    assert {"OwnerSummary", "TaskSummary", "PublicProfile", "DigestParams", "JobMessage"} <= set(
        CONTRACT_CLASSES
    )
    assert {"jobs", "view_flushes"} == WHOLE_TABLES
    assert set(CONTRACT_TABLES) == WHOLE_TABLES | {"items"}
    assert {"submitter_token", "auth:revocations", "items:views"} <= set(CONTRACT_STRINGS)


def test_no_service_nor_servicekit_declares_what_a_contract_declares() -> None:
    files = source_files()
    assert len(files) > 50

    assert [found for path in files for found in trespasses(path)] == []


def test_the_check_finds_every_kind_of_second_declaration(tmp_path: Path) -> None:
    module = tmp_path / "copies.py"
    module.write_text(
        "from sqlalchemy import column, table\n"
        "from pydantic import BaseModel\n"
        "HEADER = 'submitter_token'\n"
        "_items = table('items', column('id'), column('views'))\n"
        "class OwnerSummary(BaseModel):\n    owner_id: int\n    items: int\n    views: int\n"
        "class Counts(BaseModel):\n    open: int\n    done: int\n"
        "class Flush:\n    __tablename__ = 'view_flushes'\n"
    )

    found = [(what, name) for what, name, _line in declarations(module)]

    assert ("string", "submitter_token") in found
    assert ("table", "items") in found
    assert ("class", "OwnerSummary") in found
    assert ("fields", "OwnerSummary") in found
    assert ("fields", "TaskSummary") in found  # another name, the same fields
    assert ("mapped table", "view_flushes") in found


def service_metadata() -> Iterator[tuple[str, MetaData]]:
    """(service, metadata) of every service with tables, every models module imported
    (tasks' jobs table registers from tasks_service.jobs.models)."""
    for root in SOURCES[1:]:
        for path in sorted(root.rglob("models.py")):
            importlib.import_module(".".join(path.relative_to(root.parent).with_suffix("").parts))
        if (root / "models.py").exists():
            yield root.name, importlib.import_module(f"{root.name}.models").Base.metadata


def described(column: Column[Any]) -> tuple[object, ...]:
    """What a column is in the database, on both servers."""
    default = column.server_default
    # The dialects' constructors are unannotated in SQLAlchemy.
    postgres, mariadb = postgresql.dialect(), mysql.dialect()  # type: ignore[no-untyped-call]
    return (
        column.type.compile(dialect=postgres),
        column.type.compile(dialect=mariadb),
        column.nullable,
        column.primary_key,
        column.autoincrement,
        str(getattr(default, "arg", None)),
    )


def indexes(table: Table) -> set[tuple[object, ...]]:
    return {(index.name, tuple(index.columns.keys()), index.unique) for index in table.indexes}


@pytest.mark.parametrize("name", sorted(CONTRACT_TABLES))
def test_a_services_table_holds_the_contracts_columns_as_declared(name: str) -> None:
    contract = CONTRACT_TABLES[name]
    holders = [
        (service, metadata.tables[name])
        for service, metadata in service_metadata()
        if name in metadata.tables
    ]
    assert len(holders) == 1, f"{name}: held by {[service for service, _ in holders]}"
    _service, table = holders[0]

    for column in contract.columns:
        assert described(table.columns[column.name]) == described(column), column.name
    if name in WHOLE_TABLES:
        assert isinstance(contract, Table)
        assert table.columns.keys() == contract.columns.keys()
        assert indexes(table) == indexes(contract)
        assert table.kwargs == contract.kwargs
