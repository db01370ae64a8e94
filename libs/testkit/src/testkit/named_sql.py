"""What every service's named SQL (servicekit.queries.named_sql) must satisfy, for its tests:
each query runs on the service's migrated database in both modes, each is used, and no
SQLAlchemy SELECT is left beside them.

    @pytest.mark.parametrize("mode", ["async", "sync"])
    async def test_every_named_query_runs(database_url, jwt_public_key, mode):
        await run_every_query([repository.SQL], database_url, jwt_public_key, mode)
"""

import ast
import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import create_database
from servicekit.queries.named_sql import NamedSQL, Query, Shape
from servicekit.queries.reads import Reads, run_read, run_read_sync

# A value of each parameter name the services' queries take: enough for the database to
# plan and run the query (on an empty database most answer nothing).
SAMPLE_ARGUMENTS: dict[str, Any] = {
    "id": 1,
    "owner": 1,
    "owner_id": 1,
    "task_id": 1,
    "job_id": 1,
    "after_id": 1,
    "before_id": 2**62,
    "limit": 5,
    "prefix": "a%",
    "after_key": "a",
    "done": True,
    "email": "nobody@example.com",
}

# The SQLAlchemy names that build a SELECT: none may be imported where named SQL reads.
SELECT_BUILDERS = frozenset({"select", "text", "literal_column", "union", "exists"})


def run_query(reads: Reads, query: Query) -> Any:
    arguments = {name: SAMPLE_ARGUMENTS[name] for name in query.parameters}
    if query.shape is Shape.ROWS:
        return reads.rows(query, **arguments)
    if query.shape is Shape.ROW:
        return reads.row(query, **arguments)
    return reads.value(query, **arguments)


async def run_every_query(
    queries: Iterable[NamedSQL], database_url: str, jwt_public_key: str, mode: str
) -> list[str]:
    """Runs each query of `queries` in `mode`; returns their names."""
    settings = ServiceSettings(database_url=database_url, jwt_public_key=jwt_public_key)
    db = create_database(settings)
    ran = []
    try:
        for sql in queries:
            for name in sorted(sql.names):
                query = getattr(sql, name)
                if mode == "async":
                    await run_read(db, run_query, query=query)
                else:
                    await asyncio.to_thread(run_read_sync, db, run_query, query=query)
                ran.append(name)
    finally:
        await db.dispose()
    return ran


def referenced_queries(source: Path, holder: str = "SQL") -> set[str]:
    """The names read off `holder` (`SQL.users_page`) in a module or a package."""
    found = set()
    for path in [source] if source.is_file() else source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == holder
                and node.attr != "names"
            ):
                found.add(node.attr)
    return found


def select_builders(package: Path, *, except_modules: Iterable[str] = ("seed",)) -> list[str]:
    """`module: name` of each SELECT builder a module of the package imports from
    SQLAlchemy (the seeds, one-off commands, may build their own)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.stem in except_modules:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                found += [
                    f"{path.relative_to(package)}: {alias.name}"
                    for alias in node.names
                    if alias.name in SELECT_BUILDERS
                ]
    return found
