"""A frozen database server never holds a call: throwaway Postgres and MariaDB servers,
stopped with SIGSTOP, under both engines (asyncpg, psycopg, asyncmy, PyMySQL) and under
SQL run on the bare driver connection.

A frozen server's kernel still accepts connections and acknowledges what is sent, so
only the client's deadline ends a call. Deadlines here are 1 s; each test's own timeout
is generous, so a busy machine slows a test down but never fails it: what is asserted is
that a call ends, with an error that says unavailable, not how long it took.
"""

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter, Request
from sqlalchemy import event, text
from sqlalchemy.pool import PoolProxiedConnection

from devstack.ports import free_port
from devstack.servers import LocalServer, MariaDBServer, PostgresServer
from servicekit.core.settings import ServiceSettings
from servicekit.db.deadlines import timed_out
from servicekit.db.engines import (
    Database,
    DatabaseUnavailable,
    create_database,
    driver_calls,
    is_unavailable,
)
from servicekit.web.sessions import SessionDep, SyncSessionDep
from servicekit.web.state import state_of

if TYPE_CHECKING:
    from .conftest import Serve

pytestmark = pytest.mark.timeout(30, func_only=True)

MODES = ["async", "sync"]
CONNECTION_ID = {"postgres": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
SLEEP_3S = {"postgres": "SELECT pg_sleep(3)", "mysql": "SELECT SLEEP(3)"}
TIMEOUT_MESSAGE = {"postgres": "statement timeout", "mysql": "max_statement_time exceeded"}
# The settings of every database here: 1 s deadlines, a server that cancels at 0.5 s,
# and one connection per engine, so a connection that is reused is the one that timed out.
DEADLINES = {
    "db_call_timeout": 1.0,
    "db_statement_timeout_ms": 500,
    "db_connect_timeout": 1.0,
    "db_pool_size": 1,
    "db_pool_timeout": 1.0,
}


@pytest.fixture(scope="module", params=["postgres", "mysql"])
def own_server(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """A server of this module's own, which its tests freeze (never a shared one)."""
    # Not tmp_path: that is private to root, and Postgres runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="servicekit-deadlines-"))
    root.chmod(0o755)
    server_class = {"postgres": PostgresServer, "mysql": MariaDBServer}[request.param]
    try:
        with server_class(root / "db", free_port()) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def backend(own_server: LocalServer) -> str:
    return own_server.kind


@pytest.fixture
def thawed(own_server: LocalServer) -> Iterator[LocalServer]:
    """The server, continued after the test even if the test was cut short frozen."""
    yield own_server
    own_server.thaw()


@pytest.fixture
async def database(
    thawed: LocalServer, service_settings: Callable[..., ServiceSettings]
) -> AsyncIterator[Database]:
    db = create_database(service_settings(database_url=thawed.url, **DEADLINES))
    yield db
    await db.dispose()


async def run_sql(db: Database, mode: str, sql: str, *, commit: bool = False) -> Any:
    """One statement through the engine of `mode`, in a transaction when `commit`."""
    if mode == "async":
        async with db.async_engine.connect() as connection:
            value = (await connection.execute(text(sql))).scalar()
            if commit:
                await connection.commit()
            return value

    def run() -> Any:
        with db.sync_engine.connect() as connection:
            value = connection.execute(text(sql)).scalar()
            if commit:
                connection.commit()
            return value

    return await asyncio.to_thread(run)


async def failure_of(awaitable: Awaitable[object]) -> BaseException:
    try:
        await awaitable
    except Exception as error:
        return error
    pytest.fail("the call succeeded on a frozen server")


@pytest.mark.parametrize("mode", MODES)
async def test_a_statement_to_a_frozen_server_ends_at_the_deadline_and_its_connection_is_discarded(
    database: Database, thawed: LocalServer, backend: str, mode: str
) -> None:
    before = await run_sql(database, mode, CONNECTION_ID[backend])
    with thawed.frozen():
        error = await failure_of(run_sql(database, mode, "SELECT 1"))
    assert timed_out(error), repr(error)
    assert is_unavailable(error), repr(error)
    # The server runs again: the next call succeeds, on a new connection (the pool
    # holds one, so the timed-out one was not lent out again).
    assert await run_sql(database, mode, CONNECTION_ID[backend]) != before


@pytest.mark.parametrize("mode", MODES)
async def test_a_commit_to_a_frozen_server_ends_at_the_deadline_and_its_connection_is_discarded(
    database: Database, thawed: LocalServer, backend: str, mode: str
) -> None:
    before = await run_sql(database, mode, CONNECTION_ID[backend])
    if mode == "async":
        async with database.async_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))  # the transaction begins
            with thawed.frozen():
                error = await failure_of(connection.commit())
    else:

        def commit_frozen() -> BaseException:
            with database.sync_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                with thawed.frozen():
                    try:
                        connection.commit()
                    except Exception as error:
                        return error
            pytest.fail("the commit succeeded on a frozen server")

        error = await asyncio.to_thread(commit_frozen)
    assert timed_out(error), repr(error)
    assert is_unavailable(error), repr(error)
    assert await run_sql(database, mode, CONNECTION_ID[backend]) != before


@pytest.mark.parametrize("mode", MODES)
async def test_connecting_to_a_frozen_server_times_out(
    database: Database, thawed: LocalServer, mode: str
) -> None:
    # The pools are empty: the kernel accepts the connection, the handshake never comes.
    with thawed.frozen():
        error = await failure_of(run_sql(database, mode, "SELECT 1"))
    assert is_unavailable(error), repr(error)
    assert await run_sql(database, mode, "SELECT 1") == 1


async def test_nothing_waits_for_the_cancel_request_of_a_timed_out_asyncpg_call(
    database: Database, thawed: LocalServer, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("asyncpg is Postgres' driver")
    closed_when_invalidated = []

    # Runs after servicekit's own listener, and before SQLAlchemy closes the connection
    # (gracefully: a Terminate message, and a wait for the cancel request to go).
    @event.listens_for(database.async_engine.sync_engine, "invalidate")
    def invalidated(_dbapi_connection: object, record: Any, _error: object) -> None:
        closed_when_invalidated.append(record.driver_connection.is_closed())

    await run_sql(database, "async", "SELECT 1")
    earlier = asyncio.all_tasks()
    with thawed.frozen():
        await failure_of(run_sql(database, "async", "SELECT 1"))
        assert closed_when_invalidated == [True]  # terminated at once
        # asyncpg sent a cancel request on a new connection, which the frozen server
        # never answers; the discarded connection's terminate() ended it.
        left = asyncio.all_tasks() - earlier
        assert not left, left
        await database.dispose()  # nothing left to wait for, frozen as the server is


@pytest.mark.parametrize("mode", MODES)
async def test_a_slow_statement_on_a_live_server_is_cancelled_by_the_server_first(
    database: Database, backend: str, mode: str
) -> None:
    before = await run_sql(database, mode, CONNECTION_ID[backend])
    error = await failure_of(run_sql(database, mode, SLEEP_3S[backend]))
    assert TIMEOUT_MESSAGE[backend] in str(error), repr(error)
    assert not timed_out(error), repr(error)
    # The server's cancellation leaves the connection sound, so it is kept.
    assert await run_sql(database, mode, CONNECTION_ID[backend]) == before


async def select_on(driver: Any) -> Any:
    """SELECT 1 on a bare asyncpg or asyncmy connection."""
    if type(driver).__module__.startswith("asyncpg"):
        return await driver.fetchval("SELECT 1")
    async with driver.cursor() as cursor:
        await cursor.execute("SELECT 1")
        return (await cursor.fetchone())[0]


def select_on_sync(driver: Any) -> Any:
    """SELECT 1 on a bare psycopg or PyMySQL connection."""
    cursor = driver.cursor()
    try:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]
    finally:
        cursor.close()


async def driver_select(db: Database, mode: str, *, frozen: LocalServer | None = None) -> Any:
    """SELECT 1 on the bare driver connection of a pooled one, through `driver_calls`;
    with `frozen`, that server frozen meanwhile. Returns the value, or the error raised
    and whether the pooled connection was still valid after it."""
    freezing = frozen.frozen() if frozen else contextlib.nullcontext()

    def outcome(pooled: PoolProxiedConnection, error: BaseException) -> tuple[object, ...]:
        return error, pooled.is_valid

    if mode == "async":
        async with db.async_engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            try:
                with freezing, driver_calls(pooled) as driver:
                    return await select_on(driver)
            except DatabaseUnavailable as error:
                return outcome(pooled, error)

    def run() -> Any:
        with db.sync_engine.connect() as connection:
            pooled = connection.connection
            try:
                with freezing, driver_calls(pooled) as driver:
                    return select_on_sync(driver)
            except DatabaseUnavailable as error:
                return outcome(pooled, error)

    return await asyncio.to_thread(run)


@pytest.mark.parametrize("mode", MODES)
async def test_a_driver_call_to_a_frozen_server_is_unavailable_and_discards_its_connection(
    database: Database, thawed: LocalServer, backend: str, mode: str
) -> None:
    before = await run_sql(database, mode, CONNECTION_ID[backend])
    error, still_valid = await driver_select(database, mode, frozen=thawed)
    assert isinstance(error, DatabaseUnavailable)
    assert error.__cause__ is not None
    assert timed_out(error.__cause__), repr(error.__cause__)
    assert not still_valid
    assert await driver_select(database, mode) == 1
    assert await run_sql(database, mode, CONNECTION_ID[backend]) != before


router = APIRouter()


@router.get("/orm/async")
async def select_async(session: SessionDep) -> dict[str, Any]:
    return {"one": (await session.execute(text("SELECT 1"))).scalar()}


@router.get("/orm/sync")
def select_sync(session: SyncSessionDep) -> dict[str, Any]:
    return {"one": session.execute(text("SELECT 1")).scalar()}


@router.get("/driver/async")
async def select_on_the_driver_async(request: Request) -> dict[str, Any]:
    async with state_of(request.app).db.async_engine.connect() as connection:
        with driver_calls(await connection.get_raw_connection()) as driver:
            return {"one": await select_on(driver)}


@router.get("/driver/sync")
def select_on_the_driver_sync(request: Request) -> dict[str, Any]:
    engine = state_of(request.app).db.sync_engine
    with engine.connect() as connection, driver_calls(connection.connection) as driver:
        return {"one": select_on_sync(driver)}


@pytest.mark.parametrize("path", ["/orm/async", "/orm/sync", "/driver/async", "/driver/sync"])
async def test_a_request_to_a_frozen_database_is_a_503_problem_and_the_next_one_succeeds(
    serve: "Serve",
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    thawed: LocalServer,
    path: str,
) -> None:
    async with serve(
        [router], raise_app_exceptions=False, database_url=thawed.url, **DEADLINES
    ) as client:
        assert (await client.get(path)).json() == {"one": 1}
        with thawed.frozen():
            response = await client.get(path)
        body = check_problem(response, 503)
        assert body["title"] == "Database unavailable"
        assert response.headers["retry-after"] == "1"
        assert (await client.get(path)).json() == {"one": 1}
