"""Async and sync engines and session factories, both driven by one database URL.

`DATABASE_URL` may name any driver of PostgreSQL (`postgresql://`) or MySQL/MariaDB
(`mysql://`, `mariadb://`); the async engine always uses asyncpg or asyncmy and the sync
engine psycopg (3) or PyMySQL, so one setting runs a service in both modes.
"""

import logging
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    create_engine,
    exc,
    literal_column,
    select,
    text,
)
from sqlalchemy import table as table_clause
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool, PoolProxiedConnection, QueuePool

from servicekit.core.errors import ServiceUnavailable
from servicekit.core.settings import ProcessSettings, ServiceSettings
from servicekit.db import deadlines, mysql_sessions
from servicekit.db.pools import CheckoutObserver, FairAsyncQueuePool, timed

logger = logging.getLogger(__name__)

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
    if url.drivername == "postgresql+asyncpg" and "sslmode" in url.query:
        # libpq's (and psycopg's) sslmode=require is asyncpg's ssl=require: one URL
        # for both drivers, as an external server's URL gives it.
        url = url.difference_update_query(["sslmode"]).update_query_dict(
            {"ssl": url.query["sslmode"]}
        )
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


# (mode, database URL) -> what a pool reports its checkouts to (servicekit.observability.metrics).
CheckoutTimers = Callable[[str, URL], CheckoutObserver]


def _connect_args(url: URL, settings: ProcessSettings) -> dict[str, Any]:
    return _driver_connect_args(url, settings) | deadlines.deadline_connect_args(
        url, settings.db_call_timeout
    )


def _driver_connect_args(url: URL, settings: ProcessSettings) -> dict[str, Any]:
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
            # The TCP connect only: the handshake is bounded by the read timeout
            # (servicekit.db.deadlines).
            return {"connect_timeout": timeout, **mysql_sessions.CONNECT_ARGS}


def _engine_options(url: URL, settings: ProcessSettings) -> dict[str, Any]:
    options = {} if is_postgres(url) else mysql_sessions.ENGINE_OPTIONS
    return options | {
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
    # itself (servicekit.queries.reads), before its first query: what sessions get from their
    # "after_begin" event (the slow statement fault, servicekit.faults.effects).
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
    deadlines.install(engine, settings.db_call_timeout)
    if not is_postgres(surl):
        mysql_sessions.configure(engine, settings.db_statement_timeout_ms)
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
    deadlines.install(async_engine.sync_engine, settings.db_call_timeout)
    if not is_postgres(aurl):
        mysql_sessions.configure(async_engine.sync_engine, settings.db_statement_timeout_ms)
    sync_engine = create_sync_engine(
        settings, settings.database_url, checkout_timers=checkout_timers
    )
    return Database(
        async_engine=async_engine,
        sync_engine=sync_engine,
        async_sessions=async_sessionmaker(async_engine, expire_on_commit=False),
        sync_sessions=sessionmaker(sync_engine, expire_on_commit=False),
    )


# SQLSTATEs of a cancelled statement (our statement timeout) and of a server going away;
# class 08 is a connection failure.
_UNAVAILABLE_SQLSTATES = {"57014", "57P01", "57P02", "57P03"}
# MySQL/MariaDB: statement time exceeded (MariaDB 1969, MySQL 3024), lock wait timeout.
_UNAVAILABLE_MYSQL_ERRORS = {1969, 3024, 1205}
# The drivers' own errors of a connection rather than of a statement (PEP 249's names;
# asyncpg's InterfaceError is a closed connection or a misuse of one).
_CONNECTION_ERRORS = {
    "psycopg": ("OperationalError", "InterfaceError"),
    "pymysql.err": ("OperationalError", "InterfaceError"),
    "asyncmy.errors": ("OperationalError", "InterfaceError"),
    "asyncpg.exceptions": ("InterfaceError",),
}
_DRIVERS_PACKAGES = {"asyncpg", "asyncmy", "psycopg", "pymysql"}
_MYSQL_KEY = re.compile(r"for key '(?:[^']*\.)?([^'.]+)'")


class DatabaseUnavailable(ServiceUnavailable):
    """What `driver_calls` raises for a database that is gone, too slow or frozen."""

    title = "Database unavailable"

    def __init__(self) -> None:
        super().__init__("The database did not answer in time; retry shortly.")


def is_unavailable(error: BaseException) -> bool:
    """True when the database is gone, too slow or out of connections: a 503, not a 500.

    Takes SQLAlchemy's errors and the drivers' own (asyncpg, asyncmy, psycopg, PyMySQL,
    from SQL run on a bare driver connection), a call past DB_CALL_TIMEOUT included.
    """
    if isinstance(error, exc.TimeoutError | exc.OperationalError | exc.InterfaceError):
        return True
    if isinstance(error, exc.DBAPIError):
        orig = error.orig
        return error.connection_invalidated or (orig is not None and _server_unavailable(orig))
    if isinstance(error, exc.SQLAlchemyError):
        return False
    if isinstance(error, DatabaseUnavailable):
        return True
    # Drivers raise plain OS errors when they cannot connect at all; asyncpg's
    # command_timeout raises TimeoutError.
    if isinstance(error, OSError | TimeoutError):
        return True
    if type(error).__module__.partition(".")[0] not in _DRIVERS_PACKAGES:
        return False
    return _server_unavailable(error) or isinstance(error, _driver_connection_errors())


def _server_unavailable(error: BaseException) -> bool:
    # asyncpg's cancellations arrive through SQLAlchemy as a plain DBAPIError; the
    # SQLSTATE tells (psycopg's errors carry it too).
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate.startswith("08"):
        return True
    args: tuple[object, ...] = getattr(error, "args", ())
    return bool(args) and args[0] in _UNAVAILABLE_MYSQL_ERRORS


def _driver_connection_errors() -> tuple[type[BaseException], ...]:
    # From the drivers already imported: one that is not has raised nothing, and
    # importing psycopg alone takes a third of a second.
    return tuple(
        getattr(module, name)
        for module_name, names in _CONNECTION_ERRORS.items()
        if (module := sys.modules.get(module_name)) is not None
        for name in names
    )


def discard(pooled: PoolProxiedConnection, error: BaseException | None = None) -> None:
    """Takes a pooled connection out of use: the pool closes it now, without waiting on
    the server (servicekit.db.deadlines), and opens a new one on a later checkout. For a
    connection whose call failed in a way that may leave it unusable."""
    pooled.invalidate(error)


@contextmanager
def driver_calls(pooled: PoolProxiedConnection) -> Iterator[Any]:
    """`with driver_calls(pooled) as driver:` SQL run on the bare driver connection of a
    pooled one (asyncpg or asyncmy awaited inside the block, psycopg or PyMySQL called).

    Every call is bounded by DB_CALL_TIMEOUT (the engines set the drivers up so). An
    error that may leave the connection unusable (`is_unavailable`: a passed deadline, a
    lost server; or a cancellation) discards it, and an unavailable database becomes
    `DatabaseUnavailable`, a 503 problem. Any other error passes unchanged. `pooled` is
    what `await async_connection.get_raw_connection()`, `connection.connection` or
    `engine.raw_connection()` return; give it back (close it) as usual afterwards.
    """
    try:
        yield pooled.driver_connection
    except Exception as error:
        if not is_unavailable(error):
            raise
        discard(pooled, error)
        logger.warning("database unavailable: %s", _first_line(error))
        raise DatabaseUnavailable() from error
    except BaseException as error:  # cancelled mid-call: the protocol state is unknown
        discard(pooled, error)
        raise


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def violated_constraint(error: exc.IntegrityError) -> str | None:
    """The name of the constraint an integrity error broke, read from the driver."""
    orig = error.orig
    diag = getattr(orig, "diag", None)  # psycopg
    if diag is not None:
        return cast(str | None, diag.constraint_name)  # the driver's error, found by getattr
    cause = getattr(orig, "__cause__", None)  # asyncpg, wrapped by SQLAlchemy's adapter
    if cause is not None and hasattr(cause, "constraint_name"):
        return cast(str | None, cause.constraint_name)  # the driver's error, found by getattr
    # MySQL and MariaDB name the key only in the message, after the duplicate value.
    args = getattr(orig, "args", None)
    message = str(args[-1]) if args else str(orig)
    found = _MYSQL_KEY.search(message)
    return found.group(1) if found else None


def violates(error: exc.IntegrityError, constraint: str) -> bool:
    """Whether an integrity error comes from the named constraint (exactly that one)."""
    return violated_constraint(error) == constraint
