"""Engines from one URL, statement timeouts and error classification, on both servers."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    exc,
    insert,
    text,
)

from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import (
    Database,
    async_url,
    create_database,
    is_postgres,
    is_unavailable,
    sync_url,
    violates,
)

if TYPE_CHECKING:
    from .conftest import ScratchDatabases

SLEEP_2S = {"postgres": "SELECT pg_sleep(2)", "mysql": "SELECT SLEEP(2)"}
# What each server says when it interrupts a statement (MariaDB: error 1969; it raises
# rather than letting SLEEP return 1).
TIMEOUT_MESSAGE = {"postgres": "statement timeout", "mysql": "max_statement_time exceeded"}

metadata = MetaData()
# Constraint names chosen so that one is a prefix of the other.
accounts = Table(
    "db_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(100), nullable=False),
    Column("handle", String(100), nullable=False),
    Column("email_domain", String(100), nullable=False),
    UniqueConstraint("email", name="uq_db_accounts_email"),
    UniqueConstraint("handle", name="uq_db_accounts_handle"),
    UniqueConstraint("email_domain", name="uq_db_accounts_email_domain"),
)


@pytest.mark.parametrize(
    ("url", "expected_async", "expected_sync"),
    [
        (
            "postgresql://u:p@db:5432/app",
            "postgresql+asyncpg://u:p@db:5432/app",
            "postgresql+psycopg://u:p@db:5432/app",
        ),
        (
            "postgresql+psycopg2://u:p@db/app?sslmode=require",
            "postgresql+asyncpg://u:p@db/app?ssl=require",
            "postgresql+psycopg://u:p@db/app?sslmode=require",
        ),
        (
            "postgresql+asyncpg://u@db/app",
            "postgresql+asyncpg://u@db/app",
            "postgresql+psycopg://u@db/app",
        ),
        (
            "mysql://root@db:3306/tasks",
            "mysql+asyncmy://root@db:3306/tasks?charset=utf8mb4",
            "mysql+pymysql://root@db:3306/tasks?charset=utf8mb4",
        ),
        (
            "mysql+pymysql://root:secret@db/tasks",
            "mysql+asyncmy://root:secret@db/tasks?charset=utf8mb4",
            "mysql+pymysql://root:secret@db/tasks?charset=utf8mb4",
        ),
        (
            "mariadb://root@db/tasks",
            "mariadb+asyncmy://root@db/tasks?charset=utf8mb4",
            "mariadb+pymysql://root@db/tasks?charset=utf8mb4",
        ),
        (
            "mysql://root@db/tasks?charset=latin1",
            "mysql+asyncmy://root@db/tasks?charset=latin1",
            "mysql+pymysql://root@db/tasks?charset=latin1",
        ),
    ],
)
def test_one_url_names_both_drivers(url: str, expected_async: str, expected_sync: str) -> None:
    assert async_url(url).render_as_string(hide_password=False) == expected_async
    assert sync_url(url).render_as_string(hide_password=False) == expected_sync


@pytest.mark.parametrize(
    "url", ["sqlite:///app.db", "sqlite+aiosqlite:///app.db", "oracle://u@db/app"]
)
def test_unsupported_databases_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        async_url(url)
    with pytest.raises(ValueError, match="unsupported database"):
        sync_url(url)


def test_is_postgres_reads_the_backend() -> None:
    assert is_postgres("postgresql+psycopg2://u@db/app")
    assert not is_postgres("mariadb://root@db/app")


@pytest.mark.parametrize("sslmode", ["disable", "prefer"])
async def test_an_sslmode_in_the_url_works_with_both_postgres_drivers(
    server_urls: dict[str, str], service_settings: Callable[..., ServiceSettings], sslmode: str
) -> None:
    """An external server's URL carries libpq's ?sslmode=...; asyncpg takes no such
    argument, so the async URL must say it its own way. (The test servers have no TLS:
    modes that need none prove the option reaches both drivers.)"""
    url = f"{server_urls['postgres']}?sslmode={sslmode}"
    db = create_database(service_settings(database_url=url))
    try:
        await db.ping()
        with db.sync_engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        await db.dispose()


@pytest.fixture
async def database(
    database_url: str, service_settings: Callable[..., ServiceSettings]
) -> AsyncIterator[Database]:
    """Both engines of the scratch database, with a 200 ms statement timeout."""
    db = create_database(service_settings(database_url=database_url, db_statement_timeout_ms=200))
    yield db
    await db.dispose()


async def test_both_engines_answer(database: Database) -> None:
    async with database.async_engine.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    with database.sync_engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    await database.ping()


async def test_both_engines_use_the_driver_of_their_mode(database: Database, backend: str) -> None:
    drivers = {"postgres": ("asyncpg", "psycopg"), "mysql": ("asyncmy", "pymysql")}[backend]
    assert (database.async_engine.dialect.driver, database.sync_engine.dialect.driver) == drivers


async def test_mysql_sessions_are_in_utc(
    scratch_databases: "ScratchDatabases", service_settings: Callable[..., ServiceSettings]
) -> None:
    settings = service_settings(database_url=scratch_databases.url("mysql"))
    database = create_database(settings)
    query = text("SELECT @@session.time_zone")
    try:
        async with database.async_engine.connect() as connection:
            assert (await connection.execute(query)).scalar() == "+00:00"
        with database.sync_engine.connect() as connection:
            assert connection.execute(query).scalar() == "+00:00"
    finally:
        await database.dispose()


async def test_the_statement_timeout_interrupts_the_async_engine(
    database: Database, backend: str
) -> None:
    with pytest.raises(exc.DBAPIError) as raised:
        async with database.async_engine.connect() as connection:
            await connection.execute(text(SLEEP_2S[backend]))
    # The server's own message: it interrupted the statement (one run to its end raises nothing).
    assert TIMEOUT_MESSAGE[backend] in str(raised.value)
    assert is_unavailable(raised.value), repr(raised.value)


def test_the_statement_timeout_interrupts_the_sync_engine(database: Database, backend: str) -> None:
    with (
        pytest.raises(exc.DBAPIError) as raised,
        database.sync_engine.connect() as connection,
    ):
        connection.execute(text(SLEEP_2S[backend]))
    assert TIMEOUT_MESSAGE[backend] in str(raised.value)
    assert is_unavailable(raised.value), repr(raised.value)


async def failure_of(awaitable: Awaitable[object]) -> Exception:
    try:
        await awaitable
    except Exception as error:
        return error
    pytest.fail("connected to a closed port")


def refused(error: BaseException | None) -> bool:
    """Whether the error is, or wraps, the server's port refusing the connection."""
    while error is not None:
        if isinstance(error, ConnectionRefusedError) or "refused" in str(error).lower():
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


def connect_and_close(engine: Engine) -> None:
    with engine.connect():
        pass


async def test_a_closed_port_fails_fast_and_is_unavailable(
    backend: str, closed_port: int, service_settings: Callable[..., ServiceSettings]
) -> None:
    server = {"postgres": "postgresql://postgres", "mysql": "mysql://root"}[backend]
    url = f"{server}@127.0.0.1:{closed_port}/app"
    db = create_database(service_settings(database_url=url, db_connect_timeout=10))
    try:
        async_error = await failure_of(db.ping())
        sync_error = await failure_of(asyncio.to_thread(connect_and_close, db.sync_engine))
        # Failed on the refusal itself, not after waiting out the 10 s connect timeout.
        for error in (async_error, sync_error):
            assert refused(error), repr(error)
        assert is_unavailable(async_error), repr(async_error)
        assert is_unavailable(sync_error), repr(sync_error)
    finally:
        await db.dispose()


async def test_an_exhausted_pool_times_out_as_unavailable(
    database_url: str, service_settings: Callable[..., ServiceSettings]
) -> None:
    settings = service_settings(
        database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2
    )
    db = create_database(settings)
    try:
        async with db.async_engine.connect():
            with pytest.raises(exc.TimeoutError) as async_error:
                async with db.async_engine.connect():
                    pass
        with (
            db.sync_engine.connect(),
            pytest.raises(exc.TimeoutError) as sync_error,
            db.sync_engine.connect(),
        ):
            pass
        assert is_unavailable(async_error.value)
        assert is_unavailable(sync_error.value)
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "error",
    [
        exc.IntegrityError("INSERT", {}, Exception("duplicate")),
        exc.ProgrammingError("SELECT", {}, Exception("syntax")),
        exc.NoResultFound(),
        ValueError("not a database error"),
    ],
    ids=["integrity", "programming", "no-result", "value"],
)
def test_errors_of_the_request_are_not_unavailability(error: Exception) -> None:
    assert not is_unavailable(error)


def test_an_invalidated_connection_is_unavailability() -> None:
    error = exc.DBAPIError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    assert is_unavailable(error)


async def insert_duplicate(
    database: Database, *, mode: str, rows: list[dict[str, Any]]
) -> exc.IntegrityError:
    if mode == "async":
        with pytest.raises(exc.IntegrityError) as raised:
            async with database.async_engine.begin() as connection:
                await connection.execute(insert(accounts), rows)
    else:

        def run() -> None:
            with database.sync_engine.begin() as connection:
                connection.execute(insert(accounts), rows)

        with pytest.raises(exc.IntegrityError) as raised:
            await asyncio.to_thread(run)
    return raised.value


def account(email: str, handle: str, domain: str) -> dict[str, Any]:
    return {"email": email, "handle": handle, "email_domain": domain}


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_violates_names_the_violated_constraint(
    database: Database, tables: Callable[[MetaData], None], mode: str
) -> None:
    tables(metadata)
    error = await insert_duplicate(
        database,
        mode=mode,
        rows=[account("a@x.io", "ann", "x.io"), account("a@x.io", "bob", "y.io")],
    )
    assert violates(error, "uq_db_accounts_email")
    assert not violates(error, "uq_db_accounts_handle")


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_violates_does_not_match_a_constraint_whose_name_extends_it(
    database: Database, tables: Callable[[MetaData], None], mode: str
) -> None:
    tables(metadata)
    error = await insert_duplicate(
        database,
        mode=mode,
        rows=[account("a@x.io", "ann", "x.io"), account("b@x.io", "bob", "x.io")],
    )
    assert violates(error, "uq_db_accounts_email_domain")
    # The e-mail constraint was not violated, though its name begins the violated one's.
    assert not violates(error, "uq_db_accounts_email")


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_violates_is_not_fooled_by_the_duplicate_value(
    database: Database, tables: Callable[[MetaData], None], mode: str
) -> None:
    tables(metadata)
    # A client picks a handle that spells another constraint's name.
    error = await insert_duplicate(
        database,
        mode=mode,
        rows=[
            account("a@x.io", "uq_db_accounts_email", "x.io"),
            account("b@y.io", "uq_db_accounts_email", "y.io"),
        ],
    )
    assert violates(error, "uq_db_accounts_handle")
    assert not violates(error, "uq_db_accounts_email")


@pytest.fixture
async def one_connection(
    database_url: str, service_settings: Callable[..., ServiceSettings]
) -> AsyncIterator[Database]:
    """A database whose pools hold a single connection, given up on after 0.3 s."""
    settings = service_settings(
        database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.3
    )
    db = create_database(settings)
    yield db
    await db.dispose()


async def test_checkouts_beyond_the_pool_time_out_as_unavailable(one_connection: Database) -> None:
    engine = one_connection.async_engine
    async with engine.connect() as holder:
        await holder.execute(text("SELECT 1"))
        with pytest.raises(exc.TimeoutError) as raised:  # gave up at the pool timeout
            async with engine.connect():
                pass
    assert is_unavailable(raised.value)


@pytest.fixture
async def one_patient_connection(
    database_url: str, service_settings: Callable[..., ServiceSettings]
) -> AsyncIterator[Database]:
    """One connection, waited for up to 10 s: waiters must be served, not time out."""
    settings = service_settings(
        database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=10
    )
    db = create_database(settings)
    yield db
    await db.dispose()


async def test_connections_go_to_waiters_in_arrival_order(one_patient_connection: Database) -> None:
    engine = one_patient_connection.async_engine
    served: list[object] = []

    async def request(name: object) -> None:
        async with engine.connect() as connection:
            served.append(name)
            await connection.execute(text("SELECT 1"))

    holder = await engine.connect()
    await holder.execute(text("SELECT 1"))
    waiting = []
    for number in range(8):
        waiting.append(asyncio.create_task(request(number)))
        await asyncio.sleep(0.005)  # arrive one after the other
    await holder.close()  # hands the connection to waiter 0 ...
    await request("newcomer")  # ... so one asking right now must queue behind all 8
    await asyncio.gather(*waiting)

    assert served == [*range(8), "newcomer"]


async def test_a_waiter_that_timed_out_leaves_the_pool_whole(one_connection: Database) -> None:
    engine = one_connection.async_engine
    async with engine.connect() as holder:
        await holder.execute(text("SELECT 1"))
        with pytest.raises(exc.TimeoutError):
            async with engine.connect():
                pass
    # The one connection is free again, and there is still only one.
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
        with pytest.raises(exc.TimeoutError):
            async with engine.connect():
                pass
