"""aiosql's driver adapter for asyncmy, the services' async MySQL driver (aiosql ships
adapters for asyncpg, psycopg and PyMySQL, none for asyncmy).

Named parameters become positional `%s` markers, one per occurrence, so a query runs on
asyncmy's binary protocol when its connection caches prepared statements (asyncmy
prepares positional queries only; `%(name)s` ones go through the text protocol).
`positions(query_name)` gives the parameter names in marker order, repeats included.

Registered as "asyncmy" when servicekit.queries.named_sql is imported:

    queries = aiosql.from_path("queries.sql", "asyncmy")
    rows = [row async for row in queries.tasks_page(connection, owner=1, limit=51)]
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiosql.types import SQLOperationType
from aiosql.utils import VAR_REF
from asyncmy.connection import Connection
from asyncmy.cursors import Cursor

Parameters = Mapping[str, Any] | Sequence[Any]


class AsyncmyAdapter:
    is_aio_driver = True

    def __init__(self) -> None:
        self._positions: dict[str, tuple[str, ...]] = {}

    def positions(self, query_name: str) -> tuple[str, ...]:
        return self._positions[query_name]

    def process_sql(self, query_name: str, _op_type: SQLOperationType, sql: str) -> str:
        names: list[str] = []

        def marker(match: Any) -> str:
            found = match.groupdict()
            quoted = found["dquote"] or found["squote"]
            if quoted is not None:  # a colon inside a string literal is text
                return str(quoted)
            names.append(found["var_name"])
            # A literal % must be doubled once the query is formatted with arguments.
            return f"{found['lead']}%s"

        converted = VAR_REF.sub(marker, sql.replace("%", "%%"))
        self._positions[query_name] = tuple(names)
        return converted

    def _arguments(self, query_name: str, parameters: Parameters | None) -> tuple[Any, ...]:
        if isinstance(parameters, Mapping):
            return tuple(parameters[name] for name in self._positions[query_name])
        return tuple(parameters or ())

    async def _run(
        self, connection: Connection, query_name: str, sql: str, parameters: Parameters | None
    ) -> Cursor:
        cursor = connection.cursor()
        await cursor.execute(sql, self._arguments(query_name, parameters))
        return cursor

    async def select(
        self,
        connection: Connection,
        query_name: str,
        sql: str,
        parameters: Parameters | None,
        record_class: Any = None,
    ) -> AsyncIterator[Any]:
        for row in await self._rows(connection, query_name, sql, parameters, record_class):
            yield row

    async def select_one(
        self,
        connection: Connection,
        query_name: str,
        sql: str,
        parameters: Parameters | None,
        record_class: Any = None,
    ) -> Any:
        rows = await self._rows(connection, query_name, sql, parameters, record_class)
        return rows[0] if rows else None

    async def _rows(
        self,
        connection: Connection,
        query_name: str,
        sql: str,
        parameters: Parameters | None,
        record_class: Any,
    ) -> list[Any]:
        cursor = await self._run(connection, query_name, sql, parameters)
        try:
            rows = await cursor.fetchall()
            names = [column[0] for column in cursor.description or ()]
        finally:
            await cursor.close()
        if record_class is None:
            return list(rows)
        return [record_class(**dict(zip(names, row, strict=True))) for row in rows]

    async def select_value(
        self, connection: Connection, query_name: str, sql: str, parameters: Parameters | None
    ) -> Any:
        row = await self.select_one(connection, query_name, sql, parameters)
        return None if row is None else row[0]

    @asynccontextmanager
    async def select_cursor(
        self, connection: Connection, query_name: str, sql: str, parameters: Parameters | None
    ) -> AsyncIterator[Cursor]:
        cursor = await self._run(connection, query_name, sql, parameters)
        try:
            yield cursor
        finally:
            await cursor.close()

    async def insert_returning(
        self, connection: Connection, query_name: str, sql: str, parameters: Parameters | None
    ) -> Any:
        cursor = await self._run(connection, query_name, sql, parameters)
        try:
            # MariaDB's INSERT ... RETURNING answers rows; MySQL has no RETURNING, and
            # the new key is what the statement reports.
            row = await cursor.fetchone() if cursor.description else None
            key = cursor.lastrowid
        finally:
            await cursor.close()
        if row is None:
            return key
        return row[0] if len(row) == 1 else row

    async def insert_update_delete(
        self, connection: Connection, query_name: str, sql: str, parameters: Parameters | None
    ) -> int:
        cursor = await self._run(connection, query_name, sql, parameters)
        await cursor.close()
        return _row_count(cursor)

    async def insert_update_delete_many(
        self, connection: Connection, query_name: str, sql: str, parameters: Sequence[Parameters]
    ) -> int:
        cursor = connection.cursor()
        try:
            await cursor.executemany(
                sql, [self._arguments(query_name, each) for each in parameters]
            )
        finally:
            await cursor.close()
        return _row_count(cursor)

    async def execute_script(self, connection: Connection, sql: str) -> str:
        cursor = connection.cursor()
        try:
            # A script takes no parameters: its doubled %% go back to single ones.
            await cursor.execute(sql.replace("%%", "%"))
        finally:
            await cursor.close()
        return "DONE"


def _row_count(cursor: Cursor) -> int:
    count: int = cursor.rowcount  # type: ignore[assignment]  # typed `object` in asyncmy's stub
    return count
