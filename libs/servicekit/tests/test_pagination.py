"""Opaque keyset cursors and the page limits, in isolation and over HTTP."""

import base64
import re

import httpx
import pytest
from fastapi import APIRouter

from servicekit.errors import InvalidInput
from servicekit.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
    decode_cursor,
    encode_cursor,
)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "position",
    [
        {},
        {"id": 2**63 - 1},
        {"name": "Zoë ☃ 名前", "id": 17, "q": None},
        {"created_at": "2025-01-02T03:04:05.000006+00:00", "id": 1, "done": False},
        {"nested": {"a": [1, 2, 3]}},
        {"padding": "x"},
        {"padding": "xx"},
    ],
)
def test_a_cursor_round_trips(position: dict) -> None:
    cursor = encode_cursor("things", position)
    assert re.fullmatch(r"[A-Za-z0-9_-]*", cursor)  # URL-safe, unpadded
    assert decode_cursor("things", cursor) == position


def test_a_cursor_is_good_only_for_the_listing_that_made_it() -> None:
    cursor = encode_cursor("users", {"i": 5})

    with pytest.raises(InvalidCursor, match=r"not made for this listing \(items\)"):
        decode_cursor("items", cursor)
    with pytest.raises(InvalidCursor):  # made before cursors named their listing
        decode_cursor("users", b64(b'{"i": 5}'))


@pytest.mark.parametrize("text", ["a\x00b", "tab\there", "\x1b[31m", "del\x7f", "c1\x85"])
def test_a_cursor_whose_text_holds_a_control_character_is_malformed(text: str) -> None:
    cursor = encode_cursor("users.search", {"q": "gra", "k": text, "i": 1})

    with pytest.raises(InvalidCursor, match="malformed"):
        decode_cursor("users.search", cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!!",
        "garbage that is not base64",
        "a",  # an impossible length
        "ü" * 8,
        b64(b"not json"),
        b64(b'{"id": 1'),
        b64(b"\xff\xfe\x00"),
        b64(b"[1, 2]"),
        b64(b'"a string"'),
        b64(b"42"),
        b64(b"null"),
        b64(b"true"),
    ],
    ids=[
        "empty",
        "punctuation",
        "spaces",
        "one-char",
        "non-ascii",
        "not-json",
        "truncated-json",
        "binary",
        "array",
        "string",
        "number",
        "null",
        "bool",
    ],
)
def test_a_malformed_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor("things", cursor)
    assert isinstance(raised.value, InvalidInput)
    assert raised.value.status == 422
    # One fixed message: nothing of what the client sent is reflected.
    assert raised.value.detail == "The cursor is malformed: pass next_cursor unchanged"


def test_a_page_serializes_its_items_and_cursor() -> None:
    cursor = encode_cursor("numbers", {"id": 2})
    page = Page[int](items=[1, 2], next_cursor=cursor)
    assert page.model_dump() == {"items": [1, 2], "next_cursor": cursor}
    assert Page[int](items=[], next_cursor=None).model_dump_json() == (
        '{"items":[],"next_cursor":null}'
    )


router = APIRouter()


@router.get("/numbers")
async def list_numbers(limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None) -> Page[int]:
    start = decode_cursor("numbers", cursor)["after"] if cursor else 0
    items = list(range(start + 1, start + 1 + limit))
    return Page[int](items=items, next_cursor=encode_cursor("numbers", {"after": items[-1]}))


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
    response = await client.get("/numbers", params={"cursor": b64(b"[1]")})
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
