"""Keyset pagination shared by every list endpoint: the limits, the query parameters and
the page, `{items, next_cursor}`, and `fetch`, which makes a page of a keyset query's
rows. The cursor itself is servicekit.web.cursors'.

A list endpoint's service returns a `Page[Model]` (its items model objects) or a
`RowPage[Model]` (its items rows as dicts with exactly the model's fields), and the page
is answered with `page.response()`, in both modes: serialized once, straight to JSON
bytes, never validated again (FastAPI would validate a returned model and then serialize
it). Both kinds document themselves as the pydantic model `Page[Model]`: a declaration
(servicekit.web.modes) annotated `-> Page[Model]` or `-> RowPage[Model]` is documented and
answered that way; a written-out handler returns `page.response()` and declares
`response_model=Page[Model]`.
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel, GetCoreSchemaHandler, TypeAdapter, create_model
from pydantic_core import CoreSchema
from typing_extensions import TypedDict

from servicekit.web.cursors import CURSOR_PATTERN

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Room for a search cursor over 200 characters of 4-byte text, base64-encoded.
MAX_CURSOR_CHARS = 4096

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
# Its form is in the document (URL-safe base64, bounded), so a client or a fuzzer knows
# what a cursor looks like; what it holds is the service's to decode (servicekit.web.cursors).
CursorParam = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_CHARS,
        pattern=CURSOR_PATTERN,
        description=(
            "`next_cursor` of the previous page, unchanged: opaque, unpadded URL-safe base64"
        ),
    ),
]


T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class BasePage:
    """What both kinds of page share: one JSON serialization, the schema of `Page[Model]`.

    `Page[Model]` and `RowPage[Model]` are classes of their own, made once per model.
    """

    __slots__ = ()

    items: Sequence[Any]
    next_cursor: str | None

    _schema: ClassVar[type[BaseModel]]
    _serializer: ClassVar[TypeAdapter[Any]]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # The OpenAPI schema of a page is that of a pydantic model named `Page[Model]`, as
        # it was when pages were pydantic models: documents and clients see no change.
        return handler(cls._schema)

    def response(self) -> Response:
        body = self._serializer.dump_json({"items": self.items, "next_cursor": self.next_cursor})
        return Response(body, media_type="application/json")

    @classmethod
    def fetch(
        cls,
        limit: int,
        rows: Callable[[int], list[Any]],
        cursor_after: Callable[[Any], str],
        *,
        cursor_keys: Sequence[str] = (),
    ) -> Self:
        """A keyset listing's page in one call: `rows(limit + 1)` fetches one row more
        than the page holds, which says whether a next page exists; the page is the first
        `limit` rows and, when the extra row came, `cursor_after` the last of them.

        `cursor_keys`: keys of each row that only its cursor reads (a search's sort key),
        taken out of the items once the cursor is made.
        """
        fetched = rows(limit + 1)
        next_cursor = None
        if len(fetched) > limit:
            del fetched[limit:]
            next_cursor = cursor_after(fetched[-1])
        for key in cursor_keys:
            for row in fetched:
                del row[key]
        return cls(fetched, next_cursor)  # type: ignore[call-arg]


# Not frozen: a frozen dataclass is made through object.__setattr__, 0.2 µs a page more on
# the hottest read.
@dataclass(slots=True)
class Page(BasePage, Generic[T]):
    """A page of a listing whose items are `T` objects (models, or plain values)."""

    items: list[T]
    next_cursor: str | None

    def __class_getitem__(cls, item_type: Any) -> "type[Page[Any]]":
        return _pages_of(item_type)[0]


@dataclass(slots=True)
class RowPage(BasePage, Generic[M]):
    """A page of a listing whose items are rows as dicts with exactly the fields of the
    model `M`: hot lists pass rows, since a model object per row cost more than the query
    on the users list. It serializes to the JSON of `Page[M]`, with the model's field
    types (datetimes as ISO 8601, and so on), and is documented as `Page[M]`."""

    items: list[dict[str, Any]]
    next_cursor: str | None

    def __class_getitem__(cls, model: Any) -> "type[RowPage[Any]]":
        row_page = _pages_of(model)[1]
        if row_page is None:
            raise TypeError(f"RowPage needs a pydantic model, not {model!r}")
        return row_page


@functools.cache
def _pages_of(item_type: Any) -> "tuple[type[Page[Any]], type[RowPage[Any]] | None]":
    name = f"Page[{getattr(item_type, '__name__', item_type)}]"
    schema = create_model(name, items=(list[item_type], ...), next_cursor=(str | None, ...))
    # The envelope is a TypedDict, so that a page need not be a model object; so are the
    # rows, with the model's fields: pydantic serializes them by the model's own rules.
    # (typing_extensions' stub types TypedDict as a special form, which mypy lets one call
    # with literal fields only; at runtime it is the functional form that takes any.)
    envelope = {"items": list[item_type], "next_cursor": str | None}
    of_models = TypeAdapter(TypedDict(f"{name}Models", envelope))  # type: ignore[operator]
    page = type(name, (Page,), {"__slots__": (), "_schema": schema, "_serializer": of_models})
    if not (isinstance(item_type, type) and issubclass(item_type, BaseModel)):
        return page, None
    fields = {key: field.annotation for key, field in item_type.model_fields.items()}
    row = TypedDict(f"{item_type.__name__}Row", fields)  # type: ignore[misc]
    envelope = {"items": list[row], "next_cursor": str | None}
    of_rows = TypeAdapter(TypedDict(f"{name}Rows", envelope))  # type: ignore[operator]
    namespace = {"__slots__": (), "_schema": schema, "_serializer": of_rows}
    return page, type(f"Row{name}", (RowPage,), namespace)
