"""What a fault does to a service, on each database and in both modes: latency added to
data responses, data requests failed before their handler, a sleeping statement first in
every session; nothing of it on probes, metrics or the admin route; off again without a
restart.

Durations are checked as lower bounds only: a request with a fault of t ms took at least
t ms. Whether something was spared a delay is checked by it answering within a third of
a delay of a minute."""

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url

from servicecontracts.faults import Fault, fault_key
from servicekit.db.engines import sync_url
from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads, run_read, run_read_sync
from servicekit.web.sessions import SessionDep, SyncSessionDep
from servicekit.web.state import DatabaseDep

if TYPE_CHECKING:
    from .conftest import Serve

MODES = {"async": "/api", "sync": "/sync/api"}
WAIT_SECONDS = 20.0
A_MINUTE_MS = 60_000

metadata = MetaData()
notes = Table(
    "fault_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False),
)


class NoteCreate(BaseModel):
    code: str


router = APIRouter()


@router.post("/api/notes", status_code=201)
async def add_note(note: NoteCreate, session: SessionDep) -> dict[str, Any]:
    await session.execute(insert(notes).values(code=note.code))
    return {"code": note.code}


@router.post("/sync/api/notes", status_code=201)
def add_note_sync(note: NoteCreate, session: SyncSessionDep) -> dict[str, Any]:
    session.execute(insert(notes).values(code=note.code))
    return {"code": note.code}


def _count(code: str) -> Select[int]:
    return select(func.count()).select_from(notes).where(notes.c.code == code)


SQL = NamedSQL.load(Path(__file__).parent / "sql", "notes")


def _counted(reads: Reads, code: str) -> dict[str, Any]:
    return {"count": reads.value(SQL.count_notes, code=code)}


@router.get("/api/notes/{code}")
async def count_notes(code: str, db: DatabaseDep) -> dict[str, Any]:
    return await run_read(db, _counted, code=code)


@router.get("/sync/api/notes/{code}")
def count_notes_sync(code: str, db: DatabaseDep) -> dict[str, Any]:
    return run_read_sync(db, _counted, code=code)


@pytest.fixture
def stored(database_url: str, tables: Callable[[MetaData], None]) -> Iterator[Callable[[str], int]]:
    """`stored(code)`: the notes with that code, read straight from the database."""
    tables(metadata)
    engine = create_engine(sync_url(database_url))

    def count(code: str) -> int:
        with engine.connect() as connection:
            return connection.execute(_count(code)).scalar_one()

    yield count
    engine.dispose()


@pytest.fixture
def service(
    serve: "Serve",
    database_url: str,
    fault_settings: dict[str, Any],
    stored: Callable[[str], int],
) -> Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]:
    """`async with service() as client`: the notes app on the backend's scratch database,
    its fault switch on."""
    return lambda: serve([router], database_url=database_url, **fault_settings)


async def put_fault(client: httpx.AsyncClient, headers: dict[str, Any], **fault: object) -> None:
    response = await client.put("/admin/fault", json=fault, headers=headers)
    assert response.status_code == 200, response.text


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = await request
    return response, time.perf_counter() - start


def new_code() -> str:
    return secrets.token_hex(8)


@pytest.mark.parametrize("mode", list(MODES))
async def test_latency_delays_every_data_response_by_at_least_the_fault(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
    mode: str,
) -> None:
    api = MODES[mode]
    async with service() as client:
        await put_fault(client, admin_headers, latency_ms=300)

        written, write_seconds = await timed(client.post(f"{api}/notes", json={"code": "a"}))
        read, read_seconds = await timed(client.get(f"{api}/notes/a"))

    assert (written.status_code, read.status_code) == (201, 200)
    assert write_seconds >= 0.3
    assert read_seconds >= 0.3


@pytest.mark.parametrize("mode", list(MODES))
async def test_an_error_rate_of_one_fails_every_data_request_before_its_handler(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
    stored: Callable[[str], int],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    mode: str,
) -> None:
    api, code = MODES[mode], new_code()
    async with service() as client:
        await put_fault(client, admin_headers, error_rate=1.0)

        written = await client.post(f"{api}/notes", json={"code": code})
        read = await client.get(f"{api}/notes/{code}")
        metrics = (await client.get("/metrics")).text

    for response in (written, read):
        problem = check_problem(response, 503)
        assert problem["title"] == "Injected fault"
        assert response.headers["retry-after"] == "1"
    assert stored(code) == 0  # the handler never ran: nothing was written
    # Counted under its route, like the service's own errors.
    assert _series(metrics, route=f"{api}/notes", method="POST", status_class="5xx") == 1.0


@pytest.mark.parametrize("mode", list(MODES))
async def test_an_error_rate_of_zero_fails_nothing_and_a_half_fails_some(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
    stored: Callable[[str], int],
    mode: str,
) -> None:
    api, code = MODES[mode], new_code()
    async with service() as client:
        await put_fault(client, admin_headers, latency_ms=1, error_rate=0.0)
        unharmed = [(await client.post(f"{api}/notes", json={"code": code})) for _ in range(20)]

        await put_fault(client, admin_headers, error_rate=0.5)
        halved = [(await client.get(f"{api}/notes/{code}")).status_code for _ in range(100)]

    assert {response.status_code for response in unharmed} == {201}
    assert stored(code) == 20
    # All 100 alike would happen once in 2^99 runs.
    assert set(halved) == {200, 503}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("session", ["write", "read"])
async def test_every_session_runs_the_sleeping_statement_first(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
    backend: str,
    database_url: str,
    server_urls: dict[str, str],
    mode: str,
    session: str,
) -> None:
    api, code = MODES[mode], new_code()
    observer = create_engine(sync_url(server_urls[backend]))
    try:
        async with service() as client:
            await put_fault(client, admin_headers, slow_statement_ms=1500)
            if session == "write":
                request = client.post(f"{api}/notes", json={"code": code})
            else:
                request = client.get(f"{api}/notes/{code}")
            answered = asyncio.create_task(timed(request))

            database = make_url(database_url).database
            async with asyncio.timeout(WAIT_SECONDS):
                while not await asyncio.to_thread(_sleeping, observer, backend, database):
                    await asyncio.sleep(0.05)
            response, seconds = await answered
    finally:
        observer.dispose()

    assert response.status_code in (200, 201), response.text
    assert seconds >= 1.5


def _sleeping(observer: Engine, backend: str, database: str | None) -> bool:
    """Whether a session of `database` runs the fault's sleeping statement right now."""
    if backend == "postgres":
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db"
            " AND state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
        )
    else:
        query = (
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = :db"
            " AND INFO LIKE 'SELECT SLEEP(%'"
        )
    with observer.connect() as connection:
        result: bool = connection.execute(text(query), {"db": database}).scalar_one() > 0
        return result


async def test_probes_metrics_docs_and_the_admin_route_never_suffer_the_fault(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
) -> None:
    async with service() as client:
        await put_fault(
            client,
            admin_headers,
            latency_ms=A_MINUTE_MS,
            error_rate=1.0,
            slow_statement_ms=A_MINUTE_MS,
        )
        async with asyncio.timeout(A_MINUTE_MS / 3000):
            health = await client.get("/healthz")
            # /readyz reads the database within a second: a sleeping statement would fail it.
            ready = await client.get("/readyz")
            metrics = await client.get("/metrics")
            docs = await client.get("/openapi.json")
            unknown = await client.get("/api/no-such-route")
            read = await client.get("/admin/fault", headers=admin_headers)
            cleared = await client.delete("/admin/fault", headers=admin_headers)

    assert [r.status_code for r in (health, ready, metrics, docs, unknown, read, cleared)] == [
        200,
        200,
        200,
        200,
        404,
        200,
        204,
    ]


@pytest.mark.parametrize("mode", list(MODES))
async def test_a_fault_is_off_again_at_once_after_delete(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
    mode: str,
) -> None:
    api = MODES[mode]
    async with service() as client:
        await put_fault(client, admin_headers, error_rate=1.0)
        failed = await client.get(f"{api}/notes/x")

        cleared = await client.delete("/admin/fault", headers=admin_headers)
        served = await client.get(f"{api}/notes/x")

    assert (failed.status_code, cleared.status_code, served.status_code) == (503, 204, 200)
    assert cleared.content == b""


async def test_a_fault_follows_its_redis_key_on_and_off_without_a_restart(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    fault_settings: dict[str, Any],
    redis_client: redis.Redis,
) -> None:
    key = fault_key(fault_settings["service_name"])

    async def status() -> int:
        return (await client.get("/api/notes/x")).status_code

    async with service() as client:
        assert await status() == 200
        redis_client.set(key, Fault(error_rate=1.0).model_dump_json())
        async with asyncio.timeout(WAIT_SECONDS):
            while await status() != 503:
                await asyncio.sleep(0.02)

        redis_client.delete(key)
        async with asyncio.timeout(WAIT_SECONDS):
            while await status() != 200:
                await asyncio.sleep(0.02)


async def test_a_malformed_value_in_redis_is_no_fault(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    fault_settings: dict[str, Any],
    redis_client: redis.Redis,
    admin_headers: dict[str, str],
) -> None:
    key = fault_key(fault_settings["service_name"])
    async with service() as client:
        await put_fault(client, admin_headers, error_rate=1.0)
        redis_client.set(key, '{"error_rate": 1.0, "surprise": true}')
        async with asyncio.timeout(WAIT_SECONDS):
            while (await client.get("/api/notes/x")).status_code != 200:
                await asyncio.sleep(0.02)
        shown = (await client.get("/admin/fault", headers=admin_headers)).json()
    redis_client.delete(key)

    assert shown == Fault().model_dump()


async def test_the_gauge_shows_the_fault_of_the_service(
    service: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
    admin_headers: dict[str, str],
    fault_settings: dict[str, Any],
) -> None:
    async with service() as client:
        await put_fault(client, admin_headers, latency_ms=250, slow_statement_ms=1000)
        metrics = (await client.get("/metrics")).text
        await client.delete("/admin/fault", headers=admin_headers)

    name = fault_settings["service_name"]
    assert f'servicekit_fault_active{{kind="latency_seconds",service="{name}"}} 0.25' in metrics
    assert f'servicekit_fault_active{{kind="error_rate",service="{name}"}} 0.0' in metrics
    assert (
        f'servicekit_fault_active{{kind="slow_statement_seconds",service="{name}"}} 1.0' in metrics
    )


def _series(metrics: str, **labels: str) -> float:
    """The value of the http_requests_total series with these labels (and any others)."""
    for line in metrics.splitlines():
        if line.startswith("http_requests_total{") and all(
            f'{name}="{value}"' in line for name, value in labels.items()
        ):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no http_requests_total series with {labels}")
