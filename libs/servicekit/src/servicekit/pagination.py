"""Keyset pagination shared by every list endpoint: the limits, the query parameters and
the page, `{items, next_cursor}`. The cursor itself is servicekit.cursors'.

A list endpoint's service returns a `Page[Model]` and its handler answers with
`page.response()`, in both modes: the page is serialized once, straight to JSON bytes,
never validated again (FastAPI would validate a returned model and then serialize it).
The route declares `response_model=Page[Model]` for its OpenAPI document.
"""

import functools
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel, GetCoreSchemaHandler, TypeAdapter, create_model
from pydantic_core import CoreSchema
from typing_extensions import TypedDict

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


# Not frozen: a frozen dataclass is made through object.__setattr__, 0.2 µs a page more on
# the hottest read.
@dataclass(slots=True)
class Page(Generic[T]):
    """A page of a listing. `Page[Model]` is a class of its own, made once per model.

    Its items are `Model` objects, or dicts with exactly the model's fields: hot lists
    pass rows as dicts, since a model object per row cost more than the query on the
    users list. Both serialize to the same JSON, with the model's field types (datetimes
    as ISO 8601, and so on); one page holds one kind or the other, not both.
    """

    items: list[T] | list[dict[str, Any]]
    next_cursor: str | None

    _schema: ClassVar[type[BaseModel]]
    _of_models: ClassVar[TypeAdapter]
    _of_rows: ClassVar[TypeAdapter | None]

    def __class_getitem__(cls, item_type: Any) -> "type[Page]":
        return _page_of(item_type)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # The OpenAPI schema of `Page[Model]` is that of a pydantic model of that name,
        # as it was when pages were pydantic models: documents and clients see no change.
        return handler(cls._schema)

    def response(self) -> Response:
        items = self.items
        adapter = self._of_rows if items and type(items[0]) is dict else self._of_models
        body = adapter.dump_json({"items": items, "next_cursor": self.next_cursor})
        return Response(body, media_type="application/json")


@functools.cache
def _page_of(item_type: Any) -> type[Page]:
    name = f"Page[{getattr(item_type, '__name__', item_type)}]"
    schema = create_model(name, items=(list[item_type], ...), next_cursor=(str | None, ...))
    # The envelope is a TypedDict, so that a page need not be a model object; so are the
    # rows, with the model's fields: pydantic serializes them by the model's own rules.
    envelope = {"items": list[item_type], "next_cursor": str | None}
    of_models = TypeAdapter(TypedDict(f"{name}Models", envelope))  # type: ignore[misc]
    of_rows = None
    if isinstance(item_type, type) and issubclass(item_type, BaseModel):
        fields = {key: field.annotation for key, field in item_type.model_fields.items()}
        row = TypedDict(f"{item_type.__name__}Row", fields)  # type: ignore[misc]
        envelope = {"items": list[row], "next_cursor": str | None}
        of_rows = TypeAdapter(TypedDict(f"{name}Rows", envelope))  # type: ignore[misc]
    namespace = {
        "__slots__": (),
        "_schema": schema,
        "_of_models": of_models,
        "_of_rows": of_rows,
    }
    return type(name, (Page,), namespace)
