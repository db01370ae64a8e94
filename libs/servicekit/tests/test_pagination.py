"""The page of every list endpoint and the page limits, in isolation and over HTTP."""

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import pytest
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, TypeAdapter

from servicekit.web.cursors import Cursor, RowId
from servicekit.web.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    CursorParam,
    Limit,
    Page,
    RowPage,
)

if TYPE_CHECKING:
    from .conftest import Serve

T = TypeVar("T")


class ModelPage(BaseModel, Generic[T]):
    """The pydantic model pages were: every page must still read exactly like it."""

    items: list[T]
    next_cursor: str | None


class Profile(BaseModel):
    id: int
    name: str
    avatar: str | None
    created_at: datetime


ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "Ada", "avatar": None, "created_at": datetime(2026, 1, 2, tzinfo=UTC)},
    {
        "id": 2**62,
        "name": 'Grace "Amazing" Hopper — ✓\u2028',
        "avatar": "https://example.com/a.png",
        "created_at": datetime(2026, 11, 21, 13, 5, 9, 123456, tzinfo=UTC),
    },
]


def test_a_page_class_is_made_once_per_item_type() -> None:
    assert Page[Profile] is Page[Profile]
    assert issubclass(Page[Profile], Page)
    assert Page[Profile].__name__ == "Page[Profile]"
    assert Page[Profile] is not Page[int]  # type: ignore[comparison-overlap]  # two classes
    assert RowPage[Profile] is RowPage[Profile]
    assert issubclass(RowPage[Profile], RowPage)
    assert RowPage[Profile].__name__ == "RowPage[Profile]"


def test_a_page_of_rows_needs_a_model() -> None:
    with pytest.raises(TypeError, match="RowPage needs a pydantic model"):
        RowPage[int]  # type: ignore[type-var]  # the refusal is what is tested


@pytest.mark.parametrize(
    ("fetched", "items", "next_cursor"),
    [([1, 2, 3], [1, 2], "after 2"), ([1, 2], [1, 2], None), ([], [], None)],
)
def test_fetch_asks_for_one_row_more_and_makes_the_cursor_after_the_last_kept(
    fetched: list[int], items: list[int], next_cursor: str | None
) -> None:
    asked: list[int] = []

    def rows(count: int) -> list[int]:
        asked.append(count)
        return fetched[:count]

    page = Page[int].fetch(2, rows, lambda last: f"after {last}")

    assert asked == [3]
    assert (page.items, page.next_cursor) == (items, next_cursor)
    assert type(page) is Page[int]


def test_fetch_takes_the_keys_only_the_cursor_reads_out_of_the_items() -> None:
    fetched = [{**row, "name_key": row["name"].lower()} for row in ROWS]

    page = RowPage[Profile].fetch(
        1,
        lambda count: fetched[:count],
        lambda last: f"{last['name_key']}/{last['id']}",
        cursor_keys=("name_key",),
    )

    assert page.items == ROWS[:1]
    assert page.next_cursor == "ada/1"
    expected = ModelPage[Profile](items=[Profile(**ROWS[0])], next_cursor="ada/1")
    assert page.response().body == expected.model_dump_json().encode()


@pytest.mark.parametrize("cursor", ["eyJpIjoyfQ", None])
def test_a_page_of_rows_or_of_models_serializes_as_the_model_page(cursor: str | None) -> None:
    expected = ModelPage[Profile](items=[Profile(**row) for row in ROWS], next_cursor=cursor)

    for page in (
        RowPage[Profile](ROWS, cursor),
        Page[Profile]([Profile(**r) for r in ROWS], cursor),
    ):
        response = page.response()
        assert response.body == expected.model_dump_json().encode()
        assert response.media_type == "application/json"
    assert Page[Profile]([], None).response().body == b'{"items":[],"next_cursor":null}'
    assert RowPage[Profile]([], None).response().body == b'{"items":[],"next_cursor":null}'
    assert Page[int]([1, 2], cursor).response().body == (
        ModelPage[int](items=[1, 2], next_cursor=cursor).model_dump_json().encode()
    )


@pytest.mark.parametrize("item_type", [Profile, int])
def test_a_page_documents_itself_as_the_model_page(item_type: Any) -> None:
    # What FastAPI puts in OpenAPI documents: the same schema under the same name.
    def schema(page_type: Any) -> dict[str, Any]:
        return TypeAdapter(page_type).json_schema(ref_template="{model}")

    assert schema(Page[item_type]) == schema(ModelPage[item_type]) | {
        "title": f"Page[{item_type.__name__}]"
    }
    if item_type is Profile:
        assert schema(RowPage[item_type]) == schema(Page[item_type])


router = APIRouter()


class NumberCursor(Cursor, listing="numbers"):
    after: RowId = Field(alias="a")


@router.get("/numbers", response_model=Page[int])
async def list_numbers(limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None) -> Response:
    start = NumberCursor.decode(cursor).after if cursor else 0
    items = list(range(start + 1, start + 1 + limit))
    return Page[int](items, NumberCursor(after=items[-1]).encode()).response()


@pytest.fixture
async def client(serve: "Serve") -> AsyncIterator[httpx.AsyncClient]:
    async with serve([router]) as c:
        yield c


async def test_pages_follow_their_cursor(client: httpx.AsyncClient) -> None:
    first = (await client.get("/numbers", params={"limit": 3})).json()
    second = await client.get("/numbers", params={"limit": 3, "cursor": first["next_cursor"]})

    assert first["items"] == [1, 2, 3]
    assert second.json()["items"] == [4, 5, 6]
    default = (await client.get("/numbers")).json()
    assert len(default["items"]) == DEFAULT_LIMIT


async def test_a_malformed_cursor_is_a_422_problem(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/numbers", params={"cursor": "W10"})  # base64 of []
    assert check_problem(response, 422)["title"] == "Invalid cursor"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": MAX_LIMIT + 1},
        {"limit": -1},
        {"limit": "ten"},
        {"cursor": "a" * (MAX_CURSOR_CHARS + 1)},
    ],
    ids=["limit-zero", "limit-over-max", "limit-negative", "limit-not-a-number", "cursor-long"],
)
async def test_out_of_range_page_parameters_are_422_problems(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    params: dict[str, Any],
) -> None:
    response = await client.get("/numbers", params=params)
    body = check_problem(response, 422)
    assert [error["loc"][:2] for error in body["errors"]] == [["query", next(iter(params))]]


async def test_the_largest_page_is_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/numbers", params={"limit": MAX_LIMIT})
    assert response.status_code == 200
    assert len(response.json()["items"]) == MAX_LIMIT


async def test_the_document_states_the_form_of_a_cursor(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    parameters = document["paths"]["/numbers"]["get"]["parameters"]
    cursor = next(p for p in parameters if p["name"] == "cursor")
    schema = next(s for s in cursor["schema"]["anyOf"] if s.get("type") == "string")
    assert schema["pattern"] == "^[A-Za-z0-9_-]*$"
    assert schema["maxLength"] == MAX_CURSOR_CHARS
    first = (await client.get("/numbers", params={"limit": 3})).json()["next_cursor"]
    assert re.fullmatch(schema["pattern"], first)


@pytest.mark.parametrize("cursor", ["eyJsIjoibnVtYmVycyIsImEiOjN9=", "eyJsIjoibnVtYmVy cyJ9"])
async def test_a_cursor_outside_the_stated_form_is_a_422_problem(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    cursor: str,
) -> None:
    response = await client.get("/numbers", params={"cursor": cursor})
    body = check_problem(response, 422)
    assert [error["loc"][:2] for error in body["errors"]] == [["query", "cursor"]]
