"""MySQL and MariaDB connections as the services use them: in UTC, with the statement
timeout, and in autocommit, each transaction begun explicitly.

Autocommit: a read (servicekit.queries.reads) is one statement, its own snapshot of committed
data, with nothing to end before its connection goes back to the pool: one round trip.
In the drivers' default mode every statement opens a transaction at REPEATABLE READ,
which a read must end with a ROLLBACK (a second round trip, about a fifth of a tasks
page) or hand back to the pool inside its stale snapshot. Django runs MySQL this way.

Explicit transactions: SQLAlchemy begins a transaction by doing nothing, trusting the
driver's implicit one; here its "begin" event sends START TRANSACTION, so a write's
statements still commit or roll back together (one round trip more per write).

The pool's reset then rolls back only a connection that holds an open transaction: a
write's SQLAlchemy connection has ended its own, and a read never opens one.
"""

from typing import Any, cast

from pymysql.constants.SERVER_STATUS import SERVER_STATUS_IN_TRANS
from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

CONNECT_ARGS = {"autocommit": True}
ENGINE_OPTIONS = {"pool_reset_on_return": None}


def configure(engine: Engine, statement_timeout_ms: int) -> None:
    """Sets `engine` (an async engine's `sync_engine` for it) up; its connect arguments
    and options must include CONNECT_ARGS and ENGINE_OPTIONS."""

    @event.listens_for(engine, "connect")
    def set_session(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # MySQL has no connect option for the statement timeout, and MariaDB and MySQL
        # name it differently. The dialect knows the server flavour here: first_connect
        # runs before connect.
        if cast(MySQLDialect, engine.dialect).is_mariadb:
            limit = f"max_statement_time = {statement_timeout_ms / 1000:.3f}"
        else:
            limit = f"max_execution_time = {statement_timeout_ms}"
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION time_zone = '+00:00', {limit}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("START TRANSACTION")

    @event.listens_for(engine, "reset")
    def end_an_open_transaction(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, state: PoolResetState
    ) -> None:
        # Not asyncio-safe: a connection collected outside the event loop, which the
        # pool then closes rather than reuses.
        if state.asyncio_safe and _in_transaction(record.driver_connection):
            dbapi_connection.rollback()


def _in_transaction(driver_connection: Any) -> bool:
    # PyMySQL's and asyncmy's connections keep the server's status of the last reply.
    status = getattr(driver_connection, "server_status", None) or 0
    return bool(status & SERVER_STATUS_IN_TRANS)
