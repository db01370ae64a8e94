"""Named SQL: a service's reads as named queries in `.sql` files, loaded by aiosql.

    -- name: users_page(limit)
    -- Public profiles in id order, from the first.
    SELECT id, name, avatar, created_at FROM users ORDER BY id LIMIT :limit;

    SQL = NamedSQL.load(Path(__file__).parent, "queries")
    rows = reads.rows(SQL.users_page, limit=51)          # servicekit.queries.reads

`load(folder, stem)` reads `stem.sql`, and `stem.postgresql.sql` / `stem.mysql.sql`
where a dialect needs SQL of its own: a query in a dialect's file replaces the common
one of that name on that dialect, and every query must exist on both.

aiosql parses each file once per driver (asyncpg, asyncmy, psycopg, PyMySQL) into that
driver's parameter style; servicekit.queries.reads runs the result on the driver's connection,
without aiosql's per-call machinery (an async generator per row cost a users page a
third of its driver time). The name's suffix says what a query answers: none, rows;
`^`, one row or none; `$`, one value.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import aiosql
from aiosql.types import SQLOperationType

from servicekit.queries.aiosql_asyncmy import AsyncmyAdapter

# aiosql's protocol types row counts as None, though its own adapters return them too.
aiosql.register_adapter("asyncmy", AsyncmyAdapter)  # type: ignore[arg-type]

# The drivers of each dialect (servicekit.db.engines): async, then sync.
DIALECT_DRIVERS = {"postgresql": ("asyncpg", "psycopg"), "mysql": ("asyncmy", "pymysql")}


class Shape(Enum):
    ROWS = SQLOperationType.SELECT
    ROW = SQLOperationType.SELECT_ONE
    VALUE = SQLOperationType.SELECT_VALUE


@dataclass(frozen=True, slots=True)
class Statement:
    """A query in one driver's form."""

    sql: str
    # The parameter names in the order of the positional markers (asyncpg's $n, asyncmy's
    # %s), or None where the driver takes them by name (psycopg and PyMySQL: %(name)s).
    order: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    shape: Shape
    parameters: frozenset[str]
    # By driver name.
    statements: Mapping[str, Statement]


class NamedSQL:
    """The queries of one `.sql` stem, by name: `SQL.users_page` is a `Query`."""

    def __init__(self, queries: Mapping[str, Query], origin: str):
        self._queries = dict(queries)
        self._origin = origin

    @classmethod
    def load(cls, folder: Path, stem: str) -> "NamedSQL":
        loaded: dict[str, dict[str, Query]] = {}  # by dialect, then name
        for dialect, drivers in DIALECT_DRIVERS.items():
            candidates = (folder / f"{stem}.sql", folder / f"{stem}.{dialect}.sql")
            paths = [path for path in candidates if path.exists()]
            if not paths:
                raise FileNotFoundError(f"no {stem}.sql or {stem}.{dialect}.sql in {folder}")
            forms = {driver: _driver_forms(paths, driver) for driver in drivers}
            loaded[dialect] = _queries(forms)
        postgres, mysql = loaded["postgresql"], loaded["mysql"]
        if postgres.keys() != mysql.keys():
            missing = sorted(postgres.keys() ^ mysql.keys())
            raise ValueError(f"{folder}/{stem}: on one dialect only: {', '.join(missing)}")
        queries = {}
        for name, on_postgres in postgres.items():
            on_mysql = mysql[name]
            if (on_postgres.shape, on_postgres.parameters) != (on_mysql.shape, on_mysql.parameters):
                raise ValueError(f"{folder}/{stem}: {name} differs in shape or parameters")
            statements = {**on_postgres.statements, **on_mysql.statements}
            queries[name] = Query(name, on_postgres.shape, on_postgres.parameters, statements)
        return cls(queries, f"{folder}/{stem}")

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._queries)

    def __getattr__(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(f"{self._origin} has no query {name!r}") from None


_CURSOR = "_cursor"


def _driver_forms(paths: list[Path], driver: str) -> dict[str, tuple[Any, Statement]]:
    """name -> (aiosql's query function, its Statement) for one driver; a later file's
    query replaces an earlier one's."""
    found: dict[str, tuple[Any, Statement]] = {}
    for path in paths:
        queries = aiosql.from_path(path, driver)
        adapter = queries.driver_adapter
        names = set(queries.available_queries)
        for name in names:
            if name.endswith(_CURSOR) and name.removesuffix(_CURSOR) in names:
                continue  # aiosql's cursor twin of every query
            function = getattr(queries, name)
            if driver == "asyncpg":
                order: tuple[str, ...] | None = tuple(adapter.var_sorted[name])
            elif driver == "asyncmy":
                order = adapter.positions(name)
            else:
                order = None
            # Without the final semicolon: MariaDB prepares one statement, not a script.
            found[name] = (function, Statement(function.sql.strip().rstrip(";"), order))
    return found


def _queries(forms: Mapping[str, dict[str, tuple[Any, Statement]]]) -> dict[str, Query]:
    """Queries of one dialect from the forms of its two drivers."""
    first = next(iter(forms.values()))
    queries = {}
    for name, (function, _statement) in first.items():
        try:
            shape = Shape(function.operation)
        except ValueError:
            raise ValueError(
                f"{name}: named SQL holds reads (rows, `^` or `$`); writes stay with the ORM"
            ) from None
        statements = {driver: found[name][1] for driver, found in forms.items()}
        queries[name] = Query(name, shape, frozenset(function.parameters or ()), statements)
    return queries
