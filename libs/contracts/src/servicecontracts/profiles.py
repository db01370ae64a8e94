"""The public profile of a user: what users shows anyone, and what items embeds as an
item's owner.

Each side subclasses it under its own name (users' `UserRead`, items' `Owner`), so the
OpenAPI documents keep their schema names while the fields stay one list.
"""

from datetime import datetime

from pydantic import BaseModel


class PublicProfile(BaseModel):
    id: int
    name: str
    avatar: str | None
    created_at: datetime
