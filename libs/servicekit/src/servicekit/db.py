"""Async and sync engines and session factories, both driven by one database URL.

`DATABASE_URL` may name any driver of PostgreSQL (`postgresql://`) or MySQL/MariaDB
(`mysql://`, `mariadb://`); the async engine always uses asyncpg or asyncmy and the sync
engine psycopg (3) or PyMySQL, so one setting runs a service in both modes.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import asyncmy.errors
import asyncpg
import psycopg
import pymysql
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    create_engine,
    event,
    exc,
    literal_column,
    select,
    text,
)
from sqlalchemy import table as table_clause
from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, Pool, QueuePool

from servicekit.pools import CheckoutObserver, FairAsyncQueuePool, timed
from servicekit.settings import ProcessSettings, ServiceSettings

_DRIVERS = {
    # backend: (async driver, sync driver)
    "postgresql": ("asyncpg", "psycopg"),
    "mysql": ("asyncmy", "pymysql"),
    "mariadb": ("asyncmy", "pymysql"),
}


def _with_driver(url: str | URL, mode: int) -> URL:
    url = make_url(url)
    backend = url.get_backend_name()
    if backend not in _DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use postgresql:// or mysql://")
    url = url.set(drivername=f"{backend}+{_DRIVERS[backend][mode]}")
    if backend != "postgresql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def async_url(url: str | URL) -> URL:
    """The URL of the async driver for the same database."""
    return _with_driver(url, 0)


def sync_url(url: str | URL) -> URL:
    """The URL of the sync driver for the same database."""
    return _with_driver(url, 1)


def is_postgres(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def database_kind(url: str | URL) -> str:
    """postgresql or mysql (MariaDB included): the `database` label of metrics."""
    return "postgresql" if is_postgres(url) else "mysql"


# (mode, database URL) -> what a pool reports its checkouts to (servicekit.metrics).
CheckoutTimers = Callable[[str, URL], CheckoutObserver]


def _connect_args(url: URL, settings: ProcessSettings) -> dict:
    timeout = settings.db_connect_timeout
    name = settings.service_name
    ms = settings.db_statement_timeout_ms
    match url.drivername:
        case "postgresql+asyncpg":
            return {
                "timeout": timeout,
                "server_settings": {
                    "statement_timeout": str(ms),
                    "application_name": name,
                    "timezone": "UTC",
                },
            }
        case "postgresql+psycopg":
            # libpq takes whole seconds and treats anything below 2 as 2.
            return {
                "connect_timeout": max(2, math.ceil(timeout)),
                "options": f"-c statement_timeout={ms} -c timezone=UTC",
                "application_name": name,
            }
        case _:
            return {"connect_timeout": timeout}


def _limit_mysql_statements(engine: Engine, statement_timeout_ms: int) -> None:
    """MySQL has no connect option for this, and MariaDB and MySQL name it differently."""

    @event.listens_for(engine, "connect")
    def set_session(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # The dialect knows the server flavour here: first_connect runs before connect.
        if cast(MySQLDialect, engine.dialect).is_mariadb:
            limit = f"max_statement_time = {statement_timeout_ms / 1000:.3f}"
        else:
            limit = f"max_execution_time = {statement_timeout_ms}"
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION time_zone = '+00:00', {limit}")
        cursor.close()


def _engine_options(url: URL, settings: ProcessSettings) -> dict:
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        # No pre-ping: a dead connection fails one request, and SQLAlchemy then
        # invalidates the whole pool, which costs less than a ping per checkout.
        "pool_recycle": 1800,
        "pool_use_lifo": True,
        "connect_args": _connect_args(url, settings),
    }


@dataclass
class Database:
    """Both engines of one database and their session factories."""

    async_engine: AsyncEngine
    sync_engine: Engine
    async_sessions: async_sessionmaker[AsyncSession]
    sync_sessions: sessionmaker[Session]
    # Called with the `Reads` of every read that checks a connection out of a pool for
    # itself (servicekit.reads), before its first query: what sessions get from their
    # "after_begin" event (the slow statement fault, servicekit.fault_effects).
    before_reads: list[Callable[[Any], None]] = field(default_factory=list)
    # Where reads run instead of a pooled connection: a test's own connections (the
    # async engine's, as its sync facade, and the sync engine's), inside a transaction
    # it rolls back (testkit.transactions).
    reads_bound_to: tuple[Connection, Connection] | None = None

    async def ping(self) -> None:
        async with self.async_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.async_engine.dispose()
        self.sync_engine.dispose()


def create_sync_engine(
    settings: ProcessSettings,
    database_url: str,
    *,
    checkout_timers: CheckoutTimers | None = None,
) -> Engine:
    """The sync engine alone (a Celery worker needs no other), with the same timeouts."""
    surl = sync_url(database_url)
    pool = timed(QueuePool, checkout_timers("sync", surl)) if checkout_timers else QueuePool
    engine = create_engine(surl, poolclass=pool, **_engine_options(surl, settings))
    if not is_postgres(surl):
        _limit_mysql_statements(engine, settings.db_statement_timeout_ms)
    return engine


def has_rows(engine: Engine, table: str) -> bool:
    """Whether `table` holds a row (seeds that run on every upgrade seed only once)."""
    with engine.connect() as connection:
        statement: Select[Any] = (
            select(literal_column("1")).select_from(table_clause(table)).limit(1)
        )
        return connection.execute(statement).first() is not None


def create_database(
    settings: ServiceSettings, *, checkout_timers: CheckoutTimers | None = None
) -> Database:
    """Both engines; `checkout_timers` gives each pool what it reports its waits to."""
    aurl = async_url(settings.database_url)
    pool: type[Pool] = FairAsyncQueuePool
    if checkout_timers:
        pool = timed(pool, checkout_timers("async", aurl))
    async_engine = create_async_engine(aurl, poolclass=pool, **_engine_options(aurl, settings))
    if not is_postgres(aurl):
        _limit_mysql_statements(async_engine.sync_engine, settings.db_statement_timeout_ms)
    sync_engine = create_sync_engine(
        settings, settings.database_url, checkout_timers=checkout_timers
    )
    return Database(
        async_engine=async_engine,
        sync_engine=sync_engine,
        async_sessions=async_sessionmaker(async_engine, expire_on_commit=False),
        sync_sessions=sessionmaker(sync_engine, expire_on_commit=False),
    )


# SQLSTATEs of a cancelled statement (our statement timeout) and of a server going away.
_UNAVAILABLE_SQLSTATES = {"57014", "57P01", "57P02", "57P03"}
# MySQL/MariaDB: statement time exceeded (MariaDB 1969, MySQL 3024), lock wait timeout.
_UNAVAILABLE_MYSQL_ERRORS = {1969, 3024, 1205}
_MYSQL_KEY = re.compile(r"for key '(?:[^']*\.)?([^'.]+)'")


# The drivers' own errors that say the database is unavailable, when a driver is called
# directly (servicekit.reads) rather than through SQLAlchemy, which wraps them.
_UNAVAILABLE_DRIVER_ERRORS = (
    psycopg.OperationalError,
    pymysql.err.OperationalError,
    pymysql.err.InterfaceError,
    asyncmy.errors.OperationalError,
    asyncmy.errors.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
)


def is_unavailable(error: BaseException) -> bool:
    """True when the database is gone, too slow or out of connections: a 503, not a 500."""
    if isinstance(error, exc.TimeoutError | exc.OperationalError | exc.InterfaceError):
        return True
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or (
            error.orig is not None and is_unavailable(error.orig)
        )
    if isinstance(error, _UNAVAILABLE_DRIVER_ERRORS):
        return True
    # asyncpg's cancellations (our statement timeout) carry only their SQLSTATE.
    if getattr(error, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
        return True
    if isinstance(error, pymysql.err.Error | asyncmy.errors.Error):
        args: tuple[object, ...] = error.args
        return bool(args) and args[0] in _UNAVAILABLE_MYSQL_ERRORS
    # Drivers raise plain OS errors when they cannot connect at all.
    return isinstance(error, OSError | TimeoutError)


def violated_constraint(error: exc.IntegrityError) -> str | None:
    """The name of the constraint an integrity error broke, read from the driver."""
    orig = error.orig
    diag = getattr(orig, "diag", None)  # psycopg
    if diag is not None:
        return diag.constraint_name
    cause = getattr(orig, "__cause__", None)  # asyncpg, wrapped by SQLAlchemy's adapter
    if cause is not None and hasattr(cause, "constraint_name"):
        return cause.constraint_name
    # MySQL and MariaDB name the key only in the message, after the duplicate value.
    args = getattr(orig, "args", None)
    message = str(args[-1]) if args else str(orig)
    found = _MYSQL_KEY.search(message)
    return found.group(1) if found else None


def violates(error: exc.IntegrityError, constraint: str) -> bool:
    """Whether an integrity error comes from the named constraint (exactly that one)."""
    return violated_constraint(error) == constraint
