"""Request and response bodies of the users API."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from servicekit.pagination import PageJSON
from servicekit.schemas import NO_CONTROL_PATTERN, InputModel, one_line

Name = one_line(100)
# Stored lower-cased: one account per address, however it is typed.
Email = Annotated[EmailStr, StringConstraints(max_length=254), AfterValidator(str.lower)]
# Any text but control characters (ten NULs were a password).
Password = Annotated[
    str, StringConstraints(min_length=8, max_length=128, pattern=NO_CONTROL_PATTERN)
]
_http_url = TypeAdapter(HttpUrl)


def _checked_url(value: str) -> str:
    try:
        return str(_http_url.validate_python(value))
    except ValidationError:
        raise ValueError("must be an http or https URL") from None


# Kept a str (the column's type), checked as a URL.
Avatar = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_checked_url)]


class UserCreate(InputModel):
    name: Name
    email: Email
    password: Password
    avatar: Avatar | None = None


class UserUpdate(InputModel):
    """Only the fields sent change; `avatar: null` clears the avatar."""

    name: Name | None = None
    email: Email | None = None
    password: Password | None = None
    avatar: Avatar | None = None

    @model_validator(mode="after")
    def forbid_null(self) -> "UserUpdate":
        for field in ("name", "email", "password"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class UserRead(BaseModel):
    """The public profile: what anyone may see."""

    id: int
    name: str
    avatar: str | None
    created_at: datetime


# The users list is the hottest read: its pages are serialized straight from rows.
USER_PAGE = PageJSON(UserRead)


class UserPrivate(UserRead):
    """The profile as its owner sees it."""

    email: str


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_in: int
