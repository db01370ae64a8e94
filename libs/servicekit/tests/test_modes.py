"""`BothModes`: an operation declared once answers the same under /api and /sync/api,
committed, serialized and documented alike (a page too); a written-out pair shares one
contract."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    CursorResult,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from servicekit.core.errors import Conflict, NotFound
from servicekit.db.engines import sync_url
from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads
from servicekit.web.modes import BothModes
from servicekit.web.pagination import Page, RowPage
from servicekit.web.responses import json_response
from testkit.apps import MODES, assert_modes_agree

if TYPE_CHECKING:
    from .conftest import Serve

metadata = MetaData()
labels = Table(
    "mode_labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(64), nullable=False),
)


class LabelIn(BaseModel):
    text: str


class Label(BaseModel):
    id: int
    text: str


class LabelNotFound(NotFound):
    title = "Label not found"


api = BothModes()


@api.post("/labels", status_code=201, location="/labels/{id}")
def create_label(body: LabelIn, session: Session) -> Label:
    """Add a label."""
    result = session.execute(insert(labels).values(text=body.text))
    assert isinstance(result, CursorResult)  # what an INSERT gives back; Session types it Result
    key = result.inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    new_id = key[0]
    return Label(id=new_id, text=body.text)


SQL = NamedSQL.load(Path(__file__).parent / "sql", "labels")


@api.get("/labels/{label_id}")
def read_label(label_id: int, reads: Reads) -> Label:
    """One label."""
    row = reads.row(SQL.label, id=label_id)
    if row is None:
        raise LabelNotFound(f"No label {label_id}")
    return Label(**row)


@api.get("/labels")
def list_labels(reads: Reads) -> Page[Label]:
    """Labels by id, as models."""
    return Page[Label]([Label(**row) for row in reads.rows(SQL.labels)], None)


@api.get("/label-rows")
def list_label_rows(reads: Reads) -> RowPage[Label]:
    """Labels by id, as rows."""
    return RowPage[Label](reads.rows(SQL.labels), "more")


@api.delete("/labels/{label_id}", status_code=204)
def delete_label(label_id: int, session: Session) -> None:
    """Remove a label."""
    session.execute(delete(labels).where(labels.c.id == label_id))


class LabelRefused(Conflict):
    title = "Label refused"


@api.post("/labels/refused", status_code=201)
def create_then_refuse(body: LabelIn, session: Session) -> Label:
    """Inserts, then refuses: the insert must not be committed."""
    session.execute(insert(labels).values(text=body.text))
    session.flush()
    raise LabelRefused("refused after the insert")


@api.post("/labels/crash", status_code=201)
def create_then_crash(body: LabelIn, session: Session) -> Label:
    session.execute(insert(labels).values(text=body.text))
    raise RuntimeError("crashed after the insert")


@api.get("/echo", mode="async", status_code=202, responses={409: {"description": "Clash"}})
async def echo(text: str) -> Label:
    """Written out: the async twin."""
    return Label(id=0, text=text)


@api.get("/echo", mode="sync")
def echo_sync(text: str) -> Response:
    return json_response(Label(id=0, text=f"sync {text}"), 202)


@pytest.fixture
async def client(
    serve: "Serve", tables: Callable[[MetaData], None], database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    tables(metadata)
    async with serve(api.routers, database_url=database_url) as client:
        yield client


@pytest.mark.parametrize("prefix", MODES.values())
async def test_a_declared_operation_commits_and_answers_alike_in_both_modes(
    client: httpx.AsyncClient, prefix: str
) -> None:
    created = await client.post(f"{prefix}/labels", json={"text": "kept"})
    assert created.status_code == 201
    label = created.json()
    assert created.headers["location"] == f"{prefix}/labels/{label['id']}"
    assert created.headers["content-type"] == "application/json"

    read = await client.get(created.headers["location"])
    assert (read.status_code, read.json()) == (200, label)

    gone = await client.delete(created.headers["location"])
    assert (gone.status_code, gone.content) == (204, b"")
    missing = await client.get(created.headers["location"])
    assert missing.status_code == 404
    assert missing.json()["title"] == "Label not found"


@pytest.mark.parametrize("prefix", MODES.values())
async def test_a_declared_operation_validates_its_parameters(
    client: httpx.AsyncClient, prefix: str
) -> None:
    response = await client.get(f"{prefix}/labels/not-a-number")
    assert response.status_code == 422


@pytest.mark.parametrize("prefix", MODES.values())
@pytest.mark.parametrize(("path", "status"), [("/labels/refused", 409), ("/labels/crash", 500)])
async def test_a_declared_operation_that_fails_after_writing_commits_nothing(
    serve: "Serve",
    tables: Callable[[MetaData], None],
    database_url: str,
    prefix: str,
    path: str,
    status: int,
) -> None:
    # The handler opens and commits the session itself (no FastAPI dependency does):
    # an error after the insert must still roll it back.
    tables(metadata)
    text = f"failed {prefix}{path}"
    async with serve(api.routers, raise_app_exceptions=False, database_url=database_url) as c:
        response = await c.post(f"{prefix}{path}", json={"text": text})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert count_labels(database_url, text) == 0


def count_labels(database_url: str, text: str) -> int:
    """From a connection of its own: only committed rows are visible."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(labels).where(labels.c.text == text)
            return connection.execute(query).scalar_one()
    finally:
        engine.dispose()


# The page serializes itself: by any other serializer, pydantic would warn of a value
# that is not the model it expected.
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("prefix", MODES.values())
async def test_a_declared_list_answers_its_page_in_both_modes(
    client: httpx.AsyncClient, prefix: str
) -> None:
    made = [(await client.post(f"{prefix}/labels", json={"text": t})).json() for t in "ab"]

    for path, cursor in [("labels", None), ("label-rows", "more")]:
        response = await client.get(f"{prefix}/{path}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"items": made, "next_cursor": cursor}


async def test_a_written_out_pair_runs_each_twin_under_its_prefix(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/echo", params={"text": "a"})).json()["text"] == "a"
    assert (await client.get("/sync/api/echo", params={"text": "a"})).json()["text"] == "sync a"


def test_the_two_modes_are_one_contract_in_the_openapi_document() -> None:
    app = FastAPI()
    for router in api.routers:
        app.include_router(router)
    document = app.openapi()
    assert_modes_agree(document)
    sync_echo = document["paths"]["/sync/api/echo"]["get"]
    # The sync twin took its twin's status, responses, model and description.
    assert {"202", "409"} <= set(sync_echo["responses"])
    assert sync_echo["description"] == "Written out: the async twin."
    assert sync_echo["summary"] == "Echo"
    # A declared page, of models or of rows, is documented as the model page.
    for path in ["/api/labels", "/sync/api/labels", "/api/label-rows", "/sync/api/label-rows"]:
        ok = document["paths"][path]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Page_Label_"
        }
    page = document["components"]["schemas"]["Page_Label_"]
    assert page["title"] == "Page[Label]"
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Label"}


def test_a_declaration_without_a_session_or_reads_parameter_is_refused() -> None:
    with pytest.raises(TypeError, match="`session: Session` or `reads: Reads`"):

        @BothModes().get("/x")
        def no_session(x: int) -> Label:
            raise AssertionError


def test_a_sync_twin_without_its_async_twin_is_refused() -> None:
    modes = BothModes()
    with pytest.raises(TypeError, match="needs an async twin"):

        @modes.get("/x", mode="sync")
        def lonely_sync() -> Response:
            raise AssertionError
