"""Request and response bodies of the items API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

# One line of printable text. Control characters are refused rather than stored: Postgres
# cannot store NUL at all (MySQL can), and one contract means one rule on both.
TITLE_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=TITLE_CHARACTERS
    ),
]
# Kept as sent, line breaks included: an empty description is a description, null is none.
Description = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemCreate(_Input):
    title: Title
    description: Description | None = None


class ItemUpdate(_Input):
    """Only the fields sent change; `description: null` clears the description."""

    title: Title | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def forbid_null_title(self) -> "ItemUpdate":
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        return self


class ItemRead(BaseModel):
    id: int
    owner_id: int
    title: str
    description: str | None
    views: int
    created_at: datetime
    updated_at: datetime


class Owner(BaseModel):
    """An owner's public profile, as the users service tells it."""

    id: int
    name: str
    avatar: str | None
    created_at: datetime


class ItemWithOwner(ItemRead):
    """`?expand=owner`: `owner` is null when users no longer knows the account."""

    owner: Owner | None
