"""Keyset pagination shared by every list endpoint: the envelope and the limits. The
cursor is servicekit.cursors'.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter
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
