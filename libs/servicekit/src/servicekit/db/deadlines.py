"""A client-side deadline on every database call, so a frozen server never holds a request.

A server's statement timeout cannot fire while the server does not run (stopped, swapped
out, stuck on its storage), and its kernel still accepts connections and acknowledges
data, so TCP keepalives and TCP_USER_TIMEOUT stay silent too. Each driver therefore gives
up by itself after DB_CALL_TIMEOUT, on the driver connection, so SQL sent through
SQLAlchemy and SQL run on the bare driver connection are bounded alike:

- asyncpg: `command_timeout`. A call past it raises `TimeoutError`, and the connection
  sends a cancel request on a new connection, which a frozen server never answers.
- asyncmy: `read_timeout`; PyMySQL: `read_timeout` and `write_timeout`. A call past it
  raises `OperationalError` 2013, the connection closed.
- psycopg has no such option: `DeadlineConnection` (servicekit.db.psycopg_deadlines) gives
  every wait on the server the deadline, and raises `CallTimedOut`, the connection closed.

On MySQL the read timeout also bounds the handshake, which the drivers' `connect_timeout`
(the TCP connect alone) leaves unbounded; asyncpg's and psycopg's connect timeouts cover
theirs.

A connection whose call timed out is never lent out again. Through SQLAlchemy, `install`
makes the error a disconnect, so SQLAlchemy invalidates that connection (only that one:
the server may be frozen, not restarted, and the other pooled connections work again once
it runs); on a bare driver connection `servicekit.db.engines.driver_calls` does the same. An
invalidated asyncpg connection is terminated at once, because a graceful close would
first wait for its cancel request.
"""

from typing import Any

from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry


def deadline_connect_args(url: URL, seconds: float) -> dict[str, Any]:
    """The driver's own options that bound each call (none for psycopg: see `install`)."""
    match url.get_driver_name():
        case "asyncpg":
            return {"command_timeout": seconds}
        case "asyncmy":
            return {"read_timeout": seconds}
        case "pymysql":
            return {"read_timeout": seconds, "write_timeout": seconds}
        case _:
            return {}


def install(engine: Engine, seconds: float) -> None:
    """Bounds the psycopg calls of `engine` (an async engine's `sync_engine` for it) and
    discards every connection whose call timed out."""
    driver = engine.dialect.driver
    if driver == "psycopg":
        # Imported here: psycopg takes a third of a second to import, and a service on
        # MySQL never needs it.
        from servicekit.db.psycopg_deadlines import DeadlineConnection

        @event.listens_for(engine, "do_connect")
        def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            connection = DeadlineConnection.connect(*cargs, **cparams)
            connection.call_timeout = seconds
            return connection

    event.listen(engine, "handle_error", _invalidate_on_timeout)
    if driver == "asyncpg":
        event.listen(engine, "invalidate", _terminate_at_once)


def timed_out(error: BaseException) -> bool:
    """Whether `error` is (or was raised by) a call that passed its deadline, on any of
    the four drivers: each carries a `TimeoutError` in the chain."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        if isinstance(link, TimeoutError):
            return True
        seen.add(id(link))
        orig = getattr(link, "orig", None)  # SQLAlchemy's wrapper of the driver's error
        link = orig if isinstance(orig, BaseException) else link.__cause__ or link.__context__
    return False


def _invalidate_on_timeout(context: ExceptionContext) -> BaseException | None:
    error = context.original_exception
    if not timed_out(error):
        return None
    context.is_disconnect = True
    context.invalidate_pool_on_disconnect = False
    if context.sqlalchemy_exception is not None:
        return None
    # asyncpg's TimeoutError, which SQLAlchemy does not wrap: wrapped here, so a call
    # that timed out is an OperationalError on every driver.
    return exc.OperationalError(
        context.statement,
        context.parameters,
        error,
        hide_parameters=True,
        connection_invalidated=context.connection is not None,
    )


def _terminate_at_once(
    _dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _error: BaseException | None
) -> None:
    # Runs before SQLAlchemy closes the connection; its graceful close would wait for
    # the cancel request asyncpg sent after a timeout. terminate() aborts the socket and
    # cancels that request's task.
    if record.driver_connection is not None:
        record.driver_connection.terminate()
