"""`servicekit.queries.reads`: named queries on the driver's connection of the service's pools,
in both modes and on both servers: the rows as Postgres gives them on MySQL too, the
connection back in its pool or discarded after a failure, reads that never see a stale
snapshot, the session's transaction for a write that reads, a span per query."""

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace import ReadableSpan
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import Database, DatabaseUnavailable, create_database, sync_url
from servicekit.db.models import UTCDateTime
from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads, reads_of, run_read, run_read_sync
from servicekit.web.state import DatabaseDep

if TYPE_CHECKING:
    from .conftest import Serve

SQL = NamedSQL.load(Path(__file__).parent / "sql", "reads")
SEEN = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)

metadata = MetaData()
kept = Table(
    "reads_kept",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("label", String(32), nullable=False),
    Column("seen_at", UTCDateTime(), nullable=True),
    Column("flag", Boolean, nullable=True),
)


@pytest.fixture
def rows(tables: Callable[[MetaData], None], database_url: str) -> Callable[..., None]:
    """`rows(*values)`: committed rows of reads_kept, from a connection of its own."""
    tables(metadata)

    def add(*values: dict[str, Any]) -> None:
        engine = create_engine(sync_url(database_url))
        with engine.begin() as connection:
            connection.execute(insert(kept), list(values))
        engine.dispose()

    return add


@pytest.fixture
def database(
    database_url: str, service_settings: Callable[..., ServiceSettings]
) -> Iterator[Database]:
    """One connection per engine: a read that reuses a connection shows it."""
    db = create_database(
        service_settings(
            database_url=database_url,
            db_pool_size=1,
            db_pool_timeout=2,
            db_statement_timeout_ms=300,
            db_call_timeout=3,
        )
    )
    yield db
    db.sync_engine.dispose()


async def read(mode: str, db: Database, function: Callable[..., Any], **arguments: Any) -> Any:
    if mode == "async":
        return await run_read(db, function, **arguments)
    return await asyncio.to_thread(run_read_sync, db, function, **arguments)


MODES = ["async", "sync"]


@pytest.mark.parametrize("mode", MODES)
async def test_rows_are_dicts_of_the_columns_as_postgres_gives_them(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    rows(
        {"id": 1, "label": "seen", "seen_at": SEEN, "flag": True},
        {"id": 2, "label": "unseen", "seen_at": None, "flag": None},
    )
    found = await read(mode, database, lambda reads: reads.rows(SQL.all_kept))
    # Aware UTC datetimes and booleans on MySQL too (DATETIME and TINYINT(1) there).
    assert found == [
        {"id": 1, "label": "seen", "seen_at": SEEN, "flag": True},
        {"id": 2, "label": "unseen", "seen_at": None, "flag": None},
    ]
    assert type(found[0]["flag"]) is bool
    assert found[0]["seen_at"].utcoffset().total_seconds() == 0
    one = await read(mode, database, lambda reads: reads.row(SQL.kept, id=2))
    assert one == found[1]
    assert await read(mode, database, lambda reads: reads.row(SQL.kept, id=3)) is None
    assert await read(mode, database, lambda reads: reads.value(SQL.kept_count)) == 2


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_call_must_fit_the_querys_shape_and_parameters(
    database: Database, rows: Callable[..., None]
) -> None:
    with pytest.raises(TypeError, match="kept answers row, not ROWS"):
        await read("async", database, lambda reads: reads.rows(SQL.kept, id=1))
    with pytest.raises(TypeError, match=r"kept takes \['id'\], not \['ident'\]"):
        await read("async", database, lambda reads: reads.row(SQL.kept, ident=1))


def backend_of(reads: Reads) -> int:
    return int(reads.value(SQL.backend))


@pytest.mark.parametrize("mode", MODES)
async def test_a_read_gives_its_connection_back_to_the_pool(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    first = await read(mode, database, backend_of)
    assert await read(mode, database, backend_of) == first
    engine = database.async_engine.sync_engine if mode == "async" else database.sync_engine
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.checkedout() == 0


@pytest.mark.parametrize("mode", MODES)
async def test_a_failed_query_discards_its_connection(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    before = await read(mode, database, backend_of)
    with pytest.raises(DBAPIError) as failed:
        await read(mode, database, lambda reads: reads.rows(SQL.missing_table))
    assert failed.value.statement == "missing_table"  # named after the query, logged so
    assert await read(mode, database, backend_of) != before


@pytest.mark.parametrize("mode", MODES)
async def test_a_statement_the_server_cancels_is_unavailability(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    before = await read(mode, database, backend_of)
    with pytest.raises(DatabaseUnavailable):  # a 503 problem
        await read(mode, database, lambda reads: reads.value(SQL.nap, seconds=2))
    assert await read(mode, database, backend_of) != before


async def test_a_read_cancelled_halfway_discards_its_connection(
    database: Database, rows: Callable[..., None]
) -> None:
    before = await read("async", database, backend_of)
    napping = asyncio.create_task(
        run_read(database, lambda reads: reads.value(SQL.nap, seconds=0.25))
    )
    await asyncio.sleep(0.05)
    napping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await napping
    assert await read("async", database, backend_of) != before


@pytest.mark.parametrize("mode", MODES)
async def test_a_read_sees_what_was_committed_since_its_connections_last_read(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    # One pooled connection for both reads: on MySQL, one handed back inside its
    # REPEATABLE READ snapshot would answer 0 again.
    first = await read(
        mode, database, lambda reads: (backend_of(reads), reads.value(SQL.kept_count))
    )
    rows({"id": 7, "label": "later", "seen_at": None, "flag": False})
    second = await read(
        mode, database, lambda reads: (backend_of(reads), reads.value(SQL.kept_count))
    )
    assert (first[0], first[1], second) == (second[0], 0, (first[0], 1))


@pytest.mark.parametrize("mode", MODES)
async def test_a_write_after_a_read_on_the_same_connection_is_still_one_transaction(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    await read(mode, database, backend_of)  # psycopg reads in autocommit: it must end

    def insert_then_fail(session: Session) -> None:
        session.execute(insert(kept).values(id=9, label="undone"))
        raise RuntimeError("after the insert")

    async def write() -> None:
        if mode == "async":
            async with database.async_sessions() as session:
                await session.run_sync(insert_then_fail)
        else:
            with database.sync_sessions() as session:
                insert_then_fail(session)

    with pytest.raises(RuntimeError):
        await write()
    assert await read(mode, database, lambda reads: reads.value(SQL.kept_count)) == 0


@pytest.mark.parametrize("mode", MODES)
async def test_reads_of_a_session_see_its_own_uncommitted_writes(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    def write_and_read(session: Session) -> Any:
        session.execute(insert(kept).values(id=5, label="mine", flag=True))
        return reads_of(session).row(SQL.kept, id=5)

    if mode == "async":
        async with database.async_sessions() as async_session:
            found = await async_session.run_sync(write_and_read)
            await async_session.rollback()
    else:
        with database.sync_sessions() as session:
            found = write_and_read(session)
            session.rollback()
    assert found == {"id": 5, "label": "mine", "seen_at": None, "flag": True}
    assert await read(mode, database, lambda reads: reads.value(SQL.kept_count)) == 0


@pytest.mark.parametrize("mode", MODES)
async def test_every_read_is_announced_before_its_first_query(
    database: Database, rows: Callable[..., None], mode: str
) -> None:
    announced: list[Reads] = []
    database.before_reads.append(announced.append)
    await read(mode, database, lambda reads: reads.value(SQL.kept_count))
    assert len(announced) == 1


router = APIRouter()


@router.get("/api/kept")
async def count_kept(db: DatabaseDep) -> int:
    return await run_read(db, lambda reads: reads.value(SQL.kept_count))


@router.get("/sync/api/kept")
def count_kept_sync(db: DatabaseDep) -> int:
    result: int = run_read_sync(db, lambda reads: reads.value(SQL.kept_count))
    return result


@pytest.mark.parametrize("prefix", ["/api", "/sync/api"])
async def test_a_query_is_a_span_named_after_it_within_the_request(
    serve: "Serve",
    recorded_spans: list[ReadableSpan],
    rows: Callable[..., None],
    database_url: str,
    prefix: str,
) -> None:
    async with serve([router], database_url=database_url) as client:
        assert (await client.get(f"{prefix}/kept")).json() == 0
    (query,) = [span for span in recorded_spans if span.name == "kept_count"]
    (server,) = [span for span in recorded_spans if span.name == f"GET {prefix}/kept"]
    assert query.parent is not None
    assert server.context is not None
    assert query.parent.span_id == server.context.span_id
    assert query.attributes is not None
    assert query.attributes["db.statement"] == "SELECT COUNT(*) FROM reads_kept"


class Waits:
    """What a pool reports its checkouts to (servicekit.db.pools.CheckoutObserver)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def waited(self, seconds: float) -> None:
        self.seconds.append(seconds)

    def timed_out(self) -> None:
        raise AssertionError("no checkout should time out here")


@pytest.mark.parametrize("mode", MODES)
async def test_a_reads_checkout_is_timed_by_its_pool(
    database_url: str,
    service_settings: Callable[..., ServiceSettings],
    rows: Callable[..., None],
    mode: str,
) -> None:
    # The pool metrics (db_pool_checkout_wait_seconds) count reads as they count writes.
    waits = {"async": Waits(), "sync": Waits()}
    db = create_database(
        service_settings(database_url=database_url),
        checkout_timers=lambda pool_mode, _url: waits[pool_mode],
    )
    try:
        await read(mode, db, lambda reads: reads.value(SQL.kept_count))
    finally:
        await db.dispose()
    assert len(waits[mode].seconds) == 1
    assert waits["async" if mode == "sync" else "sync"].seconds == []
