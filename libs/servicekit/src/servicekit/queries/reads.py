"""Reads: named queries (servicekit.queries.named_sql) run on the driver's own connection, in
both modes, from one function.

A read is written once, as a plain function of `Reads`:

    def list_users(reads: Reads, *, limit: int) -> list[dict[str, Any]]:
        return reads.rows(SQL.users_page, limit=limit + 1)

- `run_read_sync(db, function, **arguments)` checks a connection out of the sync
  engine's pool and calls psycopg or PyMySQL on it directly;
- `await run_read(db, function, **arguments)` checks one out of the async engine's pool
  and runs the function in one greenlet (the bridge SQLAlchemy's async layer runs on,
  servicekit.queries.greenlets), from which each query awaits asyncpg or asyncmy directly;
- `reads_of(session)` runs the same queries on a session's connection, inside its
  transaction: a write that reads what it wrote.

No ORM session and no SQLAlchemy result processing: rows come from the driver as dicts
keyed by the query's column names. On MySQL a row's DATETIME values come back as aware
UTC datetimes and its TINYINT(1) values as booleans (what Postgres answers), one
conversion per value. The connections are the pools' own, so the pool's size, timeout
and metrics hold for reads and writes alike. A read opens no transaction (psycopg is put
in autocommit for it, asyncpg and the MySQL connections are in it:
servicekit.db.mysql_sessions): one round trip, each statement its own snapshot of
committed data.

Every query is bounded by DB_CALL_TIMEOUT (servicekit.db.deadlines sets the drivers up). A
driver error discards the connection it happened on, never returned to the pool; an
unavailable database (servicekit.db.engines.is_unavailable) is `DatabaseUnavailable`, a 503,
and any other error SQLAlchemy's `DBAPIError`, named after the query.
"""

import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar, cast

from psycopg.rows import dict_row
from pymysql.constants import FIELD_TYPE
from sqlalchemy import Connection, Engine, exc
from sqlalchemy.engine.interfaces import DBAPIModule
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_

from servicekit.db.deadlines import timed_out
from servicekit.db.engines import Database, DatabaseUnavailable, discard, is_unavailable
from servicekit.observability.tracing import query_span, recording
from servicekit.queries.greenlets import run_in_greenlet
from servicekit.queries.named_sql import Query, Shape, Statement

logger = logging.getLogger(__name__)
R = TypeVar("R")
Row = dict[str, Any]


class Reads(Protocol):
    """What a read function is given: the named queries of either mode."""

    def rows(self, query: Query, /, **params: Any) -> list[Row]: ...

    def row(self, query: Query, /, **params: Any) -> Row | None: ...

    def value(self, query: Query, /, **params: Any) -> Any: ...


class _DriverReads(ABC):
    """Reads on one driver's connection; subclasses run a statement and shape its rows."""

    __slots__ = ("_connection", "_discard")
    driver: ClassVar[str]
    system: ClassVar[str]

    def __init__(self, connection: Any, discard: Callable[[BaseException], None]):
        self._connection = connection
        # Called when a query fails or is cancelled halfway: what the connection then
        # holds is unknown, so it never serves another query.
        self._discard = discard

    def rows(self, query: Query, /, **params: Any) -> list[Row]:
        rows: list[Row] = self._read(query, Shape.ROWS, params)
        return rows

    def row(self, query: Query, /, **params: Any) -> Row | None:
        row: Row | None = self._read(query, Shape.ROW, params)
        return row

    def value(self, query: Query, /, **params: Any) -> Any:
        return self._read(query, Shape.VALUE, params)

    def _read(self, query: Query, shape: Shape, params: dict[str, Any]) -> Any:
        if query.shape is not shape:
            raise TypeError(f"{query.name} answers {query.shape.name.lower()}, not {shape.name}")
        if params.keys() != query.parameters:
            raise TypeError(f"{query.name} takes {sorted(query.parameters)}, not {sorted(params)}")
        statement = query.statements[self.driver]
        span = query_span(query.name, self.system, statement.sql) if recording() else None
        try:
            return self._execute(statement, params, shape)
        except BaseException as error:
            self._discard(error)
            if span is not None:
                span.record_exception(error)
            if isinstance(error, Exception):
                raise _failed(query.name, error) from error
            raise
        finally:
            if span is not None:
                span.end()

    @abstractmethod
    def _execute(self, statement: Statement, params: dict[str, Any], shape: Shape) -> Any:
        """The statement on this driver's connection, its rows shaped by `shape`."""


def _failed(what: str, error: Exception) -> Exception:
    if is_unavailable(error):
        logger.warning("database unavailable in %s: %s", what, str(error).partition("\n")[0])
        return DatabaseUnavailable()
    return exc.DBAPIError(what, None, error)


class _AsyncpgReads(_DriverReads):
    """asyncpg, awaited from the greenlet the read runs in. No transaction: asyncpg runs
    each statement on its own unless told otherwise."""

    __slots__ = ()
    driver = "asyncpg"
    system = "postgresql"

    def _execute(self, statement: Statement, params: dict[str, Any], shape: Shape) -> Any:
        assert statement.order is not None
        arguments = [params[name] for name in statement.order]
        if shape is Shape.ROWS:
            records = await_(self._connection.fetch(statement.sql, *arguments))
            return [dict(record) for record in records]
        if shape is Shape.ROW:
            record = await_(self._connection.fetchrow(statement.sql, *arguments))
            return None if record is None else dict(record)
        return await_(self._connection.fetchval(statement.sql, *arguments))


class _PsycopgReads(_DriverReads):
    __slots__ = ()
    driver = "psycopg"
    system = "postgresql"

    def _execute(self, statement: Statement, params: dict[str, Any], shape: Shape) -> Any:
        if shape is Shape.VALUE:
            found = self._connection.execute(statement.sql, params).fetchone()
            return None if found is None else found[0]
        cursor = self._connection.cursor(row_factory=dict_row)
        cursor.execute(statement.sql, params)
        return cursor.fetchall() if shape is Shape.ROWS else cursor.fetchone()


# MySQL's column types that become something else than the driver gives: DATETIME and
# TIMESTAMP, naive in UTC (servicekit.db.engines sets the session's zone), become aware; a
# TINYINT(1), the BOOLEAN of MySQL and MariaDB, becomes a bool.
_DATETIMES = {FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP}


def _mysql_rows(description: Any, rows: Any, shape: Shape) -> Any:
    if shape is Shape.VALUE:
        if not rows:
            return None
        return next(iter(_row_maker(_layout(description))(rows[0]).values()))
    make = _row_maker(_layout(description))
    if shape is Shape.ROWS:
        return [make(row) for row in rows]
    return make(rows[0]) if rows else None


def _layout(description: Any) -> tuple[tuple[str, str, bool], ...]:
    """(name, what the value becomes, whether it may be NULL) of each column."""
    return tuple(
        (
            column[0],
            "utc"
            if column[1] in _DATETIMES
            else "bool"
            if column[1] == FIELD_TYPE.TINY and column[3] == 1
            else "",
            bool(column[6]),
        )
        for column in description
    )


@functools.lru_cache(maxsize=512)
def _row_maker(layout: tuple[tuple[str, str, bool], ...]) -> Callable[[Sequence[Any]], Row]:
    """A function from a row of this layout to its dict, written out for the layout as
    `namedtuple` writes its class: a dict display with each conversion inline costs a
    fifth of converting values in a loop. `datetime.combine` with a positional zone is
    five times quicker than `replace(tzinfo=...)`."""
    entries = []
    for index, (name, becomes, nullable) in enumerate(layout):
        value = f"row[{index}]"
        if becomes == "utc":
            converted = f"combine({value}.date(), {value}.time(), UTC)"
        elif becomes == "bool":
            converted = f"{value} != 0"
        else:
            converted = value
        if becomes and nullable:
            converted = f"(None if {value} is None else {converted})"
        # repr: a name from the server becomes a string literal, never code.
        entries.append(f"{name!r}: {converted}")
    source = f"lambda row: {{{', '.join(entries)}}}"
    maker: Callable[[Sequence[Any]], Row] = eval(  # noqa: S307  (built from literals above)
        source, {"__builtins__": {}, "combine": datetime.combine, "UTC": UTC}
    )
    return maker


class _AsyncmyReads(_DriverReads):
    __slots__ = ()
    driver = "asyncmy"
    system = "mysql"

    def _execute(self, statement: Statement, params: dict[str, Any], shape: Shape) -> Any:
        assert statement.order is not None
        arguments = tuple(params[name] for name in statement.order)
        description, rows = await_(_asyncmy_fetch(self._connection, statement.sql, arguments))
        return _mysql_rows(description, rows, shape)


async def _asyncmy_fetch(connection: Any, sql: str, arguments: tuple[Any, ...]) -> tuple[Any, Any]:
    """One await from the greenlet for the whole statement, not one per cursor step."""
    cursor = connection.cursor()
    try:
        await cursor.execute(sql, arguments)
        return cursor.description, await cursor.fetchall()
    finally:
        await cursor.close()


class _PyMySQLReads(_DriverReads):
    __slots__ = ()
    driver = "pymysql"
    system = "mysql"

    def _execute(self, statement: Statement, params: dict[str, Any], shape: Shape) -> Any:
        with self._connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            return _mysql_rows(cursor.description, cursor.fetchall(), shape)


_READS: dict[str, type[_DriverReads]] = {
    reads.driver: reads for reads in (_AsyncpgReads, _PsycopgReads, _AsyncmyReads, _PyMySQLReads)
}


def run_read_sync(db: Database, function: Callable[..., R], /, **arguments: Any) -> R:
    """`function(reads, **arguments)` on a connection of the sync pool, returned after."""
    bound = db.reads_bound_to
    with _checked_out(db, db.sync_engine, bound and bound[1]) as reads:
        return function(reads, **arguments)


async def run_read(db: Database, function: Callable[..., R], /, **arguments: Any) -> R:
    """`run_read_sync` on the async pool: checkout, function and return happen in one
    greenlet, where every query awaits the async driver."""
    return await run_in_greenlet(_read_in_greenlet, db, function, arguments)


def _read_in_greenlet(db: Database, function: Callable[..., R], arguments: dict[str, Any]) -> R:
    bound = db.reads_bound_to
    with _checked_out(db, db.async_engine.sync_engine, bound and bound[0]) as reads:
        return function(reads, **arguments)


@contextmanager
def _checked_out(db: Database, engine: Engine, bound: Connection | None) -> Iterator[Reads]:
    if bound is not None:
        reads = _on_connection(bound)
        for before_read in db.before_reads:
            before_read(reads)
        yield reads
        return
    try:
        pooled = engine.raw_connection()
    except Exception as error:  # SQLAlchemy's Connection would wrap these too
        raise _failed("connect", error) from error
    connection: Any = pooled.driver_connection
    # psycopg would open a transaction first: one round trip more for a read that is
    # its own snapshot anyway. (asyncpg has none to open.)
    autocommit = engine.dialect.driver == "psycopg"
    failure: BaseException | None = None

    def discard(error: BaseException) -> None:
        nonlocal failure
        failure = error

    ready = False
    try:
        if autocommit:
            connection.autocommit = True
        reads = _READS[engine.dialect.driver](connection, discard)
        ready = True
        for before_read in db.before_reads:
            before_read(reads)
        yield reads
        if autocommit:
            connection.autocommit = False
    except BaseException as error:
        if failure is not None or not ready:
            _discard(engine, pooled, failure or error)
        elif autocommit:
            connection.autocommit = False
        raise
    finally:
        pooled.close()


def _discard(engine: Engine, pooled: PoolProxiedConnection, error: BaseException) -> None:
    """Never returns the connection to the pool. When the server went away (a restart,
    not a passed deadline: a frozen server's other connections work again once it
    runs), neither any connection the pool handed out before now: what SQLAlchemy's
    Connection does on a disconnect, each replaced at its next checkout rather than
    failing a request."""
    if (
        isinstance(error, Exception)
        and not timed_out(error)
        and engine.dialect.is_disconnect(
            cast(DBAPIModule.Error, error), pooled.dbapi_connection, None
        )
    ):
        engine.pool._invalidate(pooled, error)
    else:
        discard(pooled, error)


def reads_of(session: Session) -> Reads:
    """The named queries on `session`'s connection and transaction (a sync Session, or
    an AsyncSession's in `run_sync`, whose greenlet the async driver is awaited from).
    A failed query invalidates the connection: the session's transaction is over."""
    return _on_connection(session.connection())


def _on_connection(connection: Connection) -> _DriverReads:
    driver_connection = connection.connection.driver_connection
    return _READS[connection.dialect.driver](driver_connection, connection.invalidate)
