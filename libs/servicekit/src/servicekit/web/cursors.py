"""Keyset cursors: where a page of a listing ends, opaque to clients.

Each listing declares its cursor once, as a subclass of `Cursor`: the listing's name, the
filters the page was asked with and the sort key of its last row, with their types.

    class TaskCursor(Cursor, listing="tasks"):
        done: Filter[bool | None]
        after_id: RowId = Field(alias="i")

    TaskCursor(done=done, after_id=last.id).encode()   # the page's next_cursor
    TaskCursor.decode(text, done=done).after_id         # the next request's position

On the wire a cursor is URL-safe base64 of a small JSON object: the listing's name under
"l", then each field under its alias. Nothing in it is trusted: `decode` checks that it
is such an object, made for this listing, with exactly the declared fields, each of its
declared type (strictly: no 1 for true, no "5" or 5.0 for 5), no control character in
any text, and the filters of the request it comes back with. Any failure is an
`InvalidCursor`, a 422.
"""

import base64
import binascii
import re
from typing import Annotated, Any, ClassVar, Self, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from servicekit.core.errors import InvalidInput
from servicekit.web.inputs import MAX_ID

T = TypeVar("T")


class InvalidCursor(InvalidInput):
    title = "Invalid cursor"


class _FilterMark:
    """Marks a cursor field as a filter of its listing rather than a sort key."""


# A filter the page was asked with: a cursor is only good for the same filter values.
# A filter with a default is left out of the cursor while it has that value.
Filter = Annotated[T, _FilterMark()]
# A row id as a sort key: within BIGINT, so an oversized one is a 422, not a DB error.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]

# What a cursor is on the wire, as the OpenAPI document states it (servicekit.web.pagination):
# unpadded URL-safe base64. Checked here too, before decoding: Python's decoder would
# skip any other character and take padding, so "e30 ", "e30=" and "e30" would all
# be read as one cursor.
CURSOR_ALPHABET = "[A-Za-z0-9_-]*"
CURSOR_PATTERN = f"^{CURSOR_ALPHABET}$"
_WIRE_FORM = re.compile(CURSOR_ALPHABET)

# The key naming the listing a cursor was made for, in its JSON.
_LISTING = "l"
# C0 and C1 control characters and DEL: no text a cursor carries (a search key, a title
# key) may hold one, as no query parameter may; Postgres refuses NUL outright.
_CONTROL = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
_MALFORMED = "The cursor is malformed: pass next_cursor unchanged"


class Cursor(BaseModel):
    """The position after the last row of a page, and the filters it was made for."""

    # Strict: JSON gives true, 1, 1.0 and "1" apart, and so does a cursor. Fields are
    # set by name in code and read by alias from the wire, never by name (see decode).
    model_config = ConfigDict(
        frozen=True, strict=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )

    listing: ClassVar[str]
    filters: ClassVar[frozenset[str]]

    def __init_subclass__(cls, *, listing: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.listing = listing

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # Here, not in __init_subclass__: pydantic has collected the fields by now.
        super().__pydantic_init_subclass__(**kwargs)
        cls.filters = frozenset(
            name
            for name, field in cls.model_fields.items()
            if any(isinstance(mark, _FilterMark) for mark in field.metadata)
        )

    def encode(self) -> str:
        fields = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        return encode_cursor(self.listing, fields)

    @classmethod
    def decode(cls, text: str, **filters: object) -> Self:
        """The cursor `text` holds, if it was made for this listing with these filters
        (every filter the cursor declares, by name)."""
        if filters.keys() != cls.filters:
            raise TypeError(f"{cls.__name__}.decode needs the filters {sorted(cls.filters)}")
        fields = _fields_of(cls.listing, text)
        try:
            cursor = cls.model_validate(fields, by_alias=True, by_name=False)
        except ValidationError:
            raise InvalidCursor("The cursor does not belong to this listing") from None
        # Strictly typed by now, so `!=` cannot take 1 for true.
        if any(getattr(cursor, name) != value for name, value in filters.items()):
            raise InvalidCursor("The cursor does not belong to this listing")
        return cursor


def encode_cursor(listing: str, fields: dict[str, Any]) -> str:
    """The opaque text of a cursor of `listing` holding `fields` under their JSON keys
    (what `Cursor.encode` sends; tests forge cursors with it)."""
    document = {_LISTING: listing} | fields
    return base64.urlsafe_b64encode(orjson.dumps(document)).rstrip(b"=").decode()


def _fields_of(listing: str, text: str) -> dict[str, Any]:
    """The fields a cursor of `listing` holds, after the checks every cursor gets: valid
    base64 JSON of an object, made for this listing, no control character in any text."""
    if not _WIRE_FORM.fullmatch(text):
        raise InvalidCursor(_MALFORMED)
    try:
        padded = text + "=" * (-len(text) % 4)
        fields = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise InvalidCursor(_MALFORMED) from None
    if not isinstance(fields, dict):
        raise InvalidCursor(_MALFORMED)
    if fields.pop(_LISTING, None) != listing:
        raise InvalidCursor(f"The cursor was not made for this listing ({listing})")
    for value in fields.values():
        if isinstance(value, str) and not _CONTROL.isdisjoint(value):
            raise InvalidCursor(_MALFORMED)
    return fields
