"""Request and response bodies of the items API."""

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from servicecontracts.profiles import PublicProfile
from servicekit.web.cursors import Cursor, Filter, RowId
from servicekit.web.inputs import InputModel, left_out, one_line, text

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    Title = str
else:
    Title = one_line(200)
# Kept as sent, line breaks included: an empty description is a description, null is none.
if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    Description = str
else:
    Description = text(2000)


class ItemCreate(InputModel):
    title: Title
    description: Description | None = None


class ItemUpdate(InputModel):
    """Only the fields sent change; `description: null` clears the description, while
    a title is never null."""

    title: Title = left_out()
    description: Description | None = None


class ItemRead(BaseModel):
    id: int
    owner_id: int
    title: str
    description: str | None
    views: int
    created_at: datetime
    updated_at: datetime


class Owner(PublicProfile):
    """An owner's public profile, as the users service tells it."""


class ItemWithOwner(ItemRead):
    """`?expand=owner`: `owner` is null when users no longer knows the account."""

    owner: Owner | None


# Both cursors carry the listing's name "items": which one a page uses follows from its
# filters, so one made for another kind of page is refused like any other mismatch.
class ItemCursor(Cursor, listing="items"):
    """Where a page in id order ends: all items, one owner's, or one owner's search."""

    owner_id: Filter[int | None] = Field(None, alias="o")
    title_prefix: Filter[str | None] = Field(None, alias="q")
    after_id: RowId = Field(alias="i")


class ItemTitleCursor(Cursor, listing="items"):
    """Where a page of a search over all owners, in (title_key, id) order, ends."""

    title_prefix: Filter[str] = Field(alias="q")
    after_key: str = Field(alias="k")
    after_id: RowId = Field(alias="i")
