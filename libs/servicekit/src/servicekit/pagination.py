"""Keyset pagination shared by every list endpoint: the envelope, the limits, the cursor.

A cursor is opaque to clients: URL-safe base64 of a small JSON object holding the sort
key of the last row and the filter it was made for. Nothing in it is trusted: the
service checks its shape and types before using it.
"""

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypedDict

from servicekit.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Room for a search cursor over 200 characters of 4-byte text, base64-encoded.
MAX_CURSOR_CHARS = 4096

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
CursorParam = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, description="`next_cursor` of the previous page"),
]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class RowPage:
    """A page whose items are plain dicts with the fields of the page's model, for hot
    list endpoints: `PageJSON` serializes it exactly as `Page[model]`, without making a
    model object per row (which cost more than the query on the users list)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


class PageJSON:
    """Serializes a `RowPage` as `Page[model]` JSON, with the model's field types."""

    def __init__(self, model: type[BaseModel]):
        # TypedDicts made from the model's fields: pydantic serializes them with the same
        # rules as the model (datetimes as ISO 8601 with Z, and so on).
        fields = {name: field.annotation for name, field in model.model_fields.items()}
        item = TypedDict(f"{model.__name__}Item", fields)  # type: ignore[misc]
        envelope = {"items": list[item], "next_cursor": str | None}
        page = TypedDict(f"{model.__name__}Page", envelope)  # type: ignore[misc]
        self.model = Page[model]
        self._adapter = TypeAdapter(page)

    def response(self, page: RowPage) -> Response:
        body = self._adapter.dump_json({"items": page.items, "next_cursor": page.next_cursor})
        return Response(body, media_type="application/json")


class InvalidCursor(InvalidInput):
    title = "Invalid cursor"


# The key naming the listing a cursor was made for, in its JSON.
_LISTING = "l"
# C0 and C1 control characters and DEL: no text a cursor carries (a search key, a title
# key) may hold one, as no query parameter may; Postgres refuses NUL outright.
_CONTROL = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))


def encode_cursor(listing: str, position: dict) -> str:
    """The cursor of `position` on the listing named `listing` (e.g. "items")."""
    document = {_LISTING: listing} | position
    return base64.urlsafe_b64encode(orjson.dumps(document)).rstrip(b"=").decode()


def decode_cursor(listing: str, cursor: str) -> dict:
    """The position a cursor of `listing` holds (without the listing's name), after the
    checks every cursor gets: valid base64 JSON of an object, made for this listing, and
    no control character in any text. Each service then checks the fields it expects."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise InvalidCursor("The cursor is malformed: pass next_cursor unchanged") from None
    if not isinstance(position, dict):
        raise InvalidCursor("The cursor is malformed: pass next_cursor unchanged")
    if position.pop(_LISTING, None) != listing:
        raise InvalidCursor(f"The cursor was not made for this listing ({listing})")
    for value in position.values():
        if isinstance(value, str) and not _CONTROL.isdisjoint(value):
            raise InvalidCursor("The cursor is malformed: pass next_cursor unchanged")
    return position
