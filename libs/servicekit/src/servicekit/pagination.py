"""Keyset pagination shared by every list endpoint: the envelope, the limits, the cursor.

A cursor is opaque to clients: URL-safe base64 of a small JSON object holding the sort
key of the last row and the filter it was made for. Nothing in it is trusted: the
service checks its shape and types before using it.
"""

import base64
import binascii
from typing import Annotated, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel

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


class InvalidCursor(InvalidInput):
    title = "Invalid cursor"


def encode_cursor(position: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise InvalidCursor("The cursor is malformed: pass next_cursor unchanged") from None
    if not isinstance(position, dict):
        raise InvalidCursor("The cursor is malformed: pass next_cursor unchanged")
    return position
