"""The request's session commits once, before the response is sent; any error rolls back."""

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    func,
    insert,
    select,
    text,
)

from servicekit.core.errors import Conflict
from servicekit.db.engines import sync_url
from servicekit.web.sessions import SessionDep, SyncSessionDep

if TYPE_CHECKING:
    from .conftest import Serve

metadata = MetaData()
notes = Table(
    "session_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False),
)

# Postgres only: MySQL has no deferred constraints.
deferred_metadata = MetaData()
deferred_notes = Table(
    "session_deferred_notes",
    deferred_metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False),
    UniqueConstraint(
        "code", name="uq_session_deferred_notes_code", deferrable=True, initially="DEFERRED"
    ),
)


class NoteCreate(BaseModel):
    code: str


router = APIRouter()


@router.post("/async/notes", status_code=201)
async def create_note_async(note: NoteCreate, session: SessionDep) -> dict[str, Any]:
    await session.execute(insert(notes).values(code=note.code))
    return {"code": note.code}


@router.post("/sync/notes", status_code=201)
def create_note_sync(note: NoteCreate, session: SyncSessionDep) -> dict[str, Any]:
    session.execute(insert(notes).values(code=note.code))
    return {"code": note.code}


@router.post("/async/notes/conflict", status_code=201)
async def create_note_then_conflict_async(note: NoteCreate, session: SessionDep) -> dict[str, Any]:
    await session.execute(insert(notes).values(code=note.code))
    await session.flush()
    raise Conflict("refused after the insert")


@router.post("/sync/notes/conflict", status_code=201)
def create_note_then_conflict_sync(note: NoteCreate, session: SyncSessionDep) -> dict[str, Any]:
    session.execute(insert(notes).values(code=note.code))
    session.flush()
    raise Conflict("refused after the insert")


@router.post("/async/notes/crash", status_code=201)
async def create_note_then_crash_async(note: NoteCreate, session: SessionDep) -> dict[str, Any]:
    await session.execute(insert(notes).values(code=note.code))
    raise RuntimeError("crashed after the insert")


@router.post("/sync/notes/crash", status_code=201)
def create_note_then_crash_sync(note: NoteCreate, session: SyncSessionDep) -> dict[str, Any]:
    session.execute(insert(notes).values(code=note.code))
    raise RuntimeError("crashed after the insert")


@router.post("/async/deferred", status_code=201)
async def create_twins_async(note: NoteCreate, session: SessionDep) -> dict[str, Any]:
    # Both inserts succeed; the deferred unique constraint fails only at COMMIT.
    await session.execute(insert(deferred_notes), [{"code": note.code}, {"code": note.code}])
    return {"code": note.code}


@router.post("/sync/deferred", status_code=201)
def create_twins_sync(note: NoteCreate, session: SyncSessionDep) -> dict[str, Any]:
    session.execute(insert(deferred_notes), [{"code": note.code}, {"code": note.code}])
    return {"code": note.code}


class Gate:
    """Lets a test hold a request inside its handler, session open, until it says so."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def reset(self) -> None:
        self.entered.clear()
        self.release.clear()


gate = Gate()


@router.post("/async/hold")
async def hold_a_connection_async(session: SessionDep) -> dict[str, Any]:
    await session.execute(text("SELECT 1"))
    gate.entered.set()
    while not gate.release.is_set():
        await asyncio.sleep(0.01)
    return {}


@router.post("/sync/hold")
def hold_a_connection_sync(session: SyncSessionDep) -> dict[str, Any]:
    session.execute(text("SELECT 1"))
    gate.entered.set()
    gate.release.wait(timeout=30)
    return {}


def count_rows(database_url: str, table: Table, code: str) -> int:
    """Counts from a connection of its own: only committed rows are visible."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(table).where(table.c.code == code)
            return connection.execute(query).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
async def client(
    serve: "Serve", database_url: str, tables: Callable[[MetaData], None]
) -> AsyncIterator[httpx.AsyncClient]:
    tables(metadata)
    async with serve([router], raise_app_exceptions=False, database_url=database_url) as c:
        yield c


@pytest.fixture(params=["async", "sync"])
def mode(request: pytest.FixtureRequest) -> str:
    mode: str = request.param
    return mode


async def test_a_created_row_is_committed(
    client: httpx.AsyncClient, database_url: str, mode: str
) -> None:
    code = uuid.uuid4().hex
    response = await client.post(f"/{mode}/notes", json={"code": code})
    assert response.status_code == 201, response.text
    assert count_rows(database_url, notes, code) == 1


async def test_a_domain_error_after_an_insert_commits_nothing(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    database_url: str,
    mode: str,
) -> None:
    code = uuid.uuid4().hex
    response = await client.post(f"/{mode}/notes/conflict", json={"code": code})
    check_problem(response, 409)
    assert count_rows(database_url, notes, code) == 0


async def test_a_crash_after_an_insert_commits_nothing(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    database_url: str,
    mode: str,
) -> None:
    code = uuid.uuid4().hex
    response = await client.post(f"/{mode}/notes/crash", json={"code": code})
    check_problem(response, 500)
    assert count_rows(database_url, notes, code) == 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_failing_commit_is_a_5xx_never_the_201(
    client: httpx.AsyncClient,
    tables: Callable[[MetaData], None],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    database_url: str,
    mode: str,
) -> None:
    tables(deferred_metadata)
    code = uuid.uuid4().hex

    response = await client.post(f"/{mode}/deferred", json={"code": code})

    assert response.status_code >= 500, response.text
    check_problem(response, response.status_code)
    assert count_rows(database_url, deferred_notes, code) == 0
    # The same request without the conflicting twin would have been stored.
    ok = await client.post(f"/{mode}/notes", json={"code": code})
    assert ok.status_code == 201


async def test_an_exhausted_pool_is_a_503_at_the_pool_timeout(
    serve: "Serve",
    tables: Callable[[MetaData], None],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    database_url: str,
    mode: str,
) -> None:
    gate.reset()
    tables(metadata)
    code = uuid.uuid4().hex
    async with serve(
        [router], database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.5
    ) as client:
        holder = asyncio.create_task(client.post(f"/{mode}/hold"))
        try:
            async with asyncio.timeout(10):
                while not gate.entered.is_set():
                    await asyncio.sleep(0.01)
            started = time.monotonic()
            refused = await client.post(f"/{mode}/notes", json={"code": code})
            waited = time.monotonic() - started
        finally:
            gate.release.set()
            held = await holder

    check_problem(refused, 503)
    assert refused.headers["retry-after"] == "1"
    assert waited < 5  # a fast 503, not a hang
    assert held.status_code == 200
    assert count_rows(database_url, notes, code) == 0
