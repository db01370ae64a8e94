"""The page envelope and the page limits, in isolation and over HTTP."""

import httpx
import pytest
from fastapi import APIRouter
from pydantic import Field

from servicekit.cursors import Cursor, RowId
from servicekit.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    CursorParam,
    Limit,
    Page,
)


def test_a_page_serializes_its_items_and_cursor() -> None:
    cursor = NumberCursor(after=2).encode()
    page = Page[int](items=[1, 2], next_cursor=cursor)
    assert page.model_dump() == {"items": [1, 2], "next_cursor": cursor}
    assert Page[int](items=[], next_cursor=None).model_dump_json() == (
        '{"items":[],"next_cursor":null}'
    )


class NumberCursor(Cursor, listing="numbers"):
    after: RowId = Field(alias="a")


router = APIRouter()


@router.get("/numbers")
async def list_numbers(limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None) -> Page[int]:
    start = NumberCursor.decode(cursor).after if cursor else 0
    items = list(range(start + 1, start + 1 + limit))
    return Page[int](items=items, next_cursor=NumberCursor(after=items[-1]).encode())


@pytest.fixture
async def client(serve):
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
    client: httpx.AsyncClient, check_problem
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
    client: httpx.AsyncClient, check_problem, params: dict
) -> None:
    response = await client.get("/numbers", params=params)
    body = check_problem(response, 422)
    assert [error["loc"][:2] for error in body["errors"]] == [["query", next(iter(params))]]


async def test_the_largest_page_is_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/numbers", params={"limit": MAX_LIMIT})
    assert response.status_code == 200
    assert len(response.json()["items"]) == MAX_LIMIT


def test_a_row_page_serializes_exactly_as_the_model_page():
    from datetime import UTC, datetime

    from pydantic import BaseModel

    from servicekit.pagination import Page, PageJSON, RowPage

    class Profile(BaseModel):
        id: int
        name: str
        avatar: str | None
        created_at: datetime

    rows = [
        {"id": 1, "name": "Ada", "avatar": None, "created_at": datetime(2026, 1, 2, tzinfo=UTC)},
        {
            "id": 2**62,
            "name": 'Grace "Amazing" Hopper — ✓',
            "avatar": "https://example.com/a.png",
            "created_at": datetime(2026, 11, 21, 13, 5, 9, 123456, tzinfo=UTC),
        },
    ]
    for cursor in ("eyJpIjoyfQ", None):
        expected = Page[Profile](items=[Profile(**row) for row in rows], next_cursor=cursor)
        response = PageJSON(Profile).response(RowPage(rows, cursor))
        assert response.body == expected.model_dump_json().encode()
        assert response.media_type == "application/json"
