"""Request and response bodies of the users API."""

from typing import TYPE_CHECKING, Annotated, Literal

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from servicecontracts.profiles import PublicProfile
from servicekit.web.cursors import Cursor, Filter, RowId
from servicekit.web.inputs import NO_CONTROL_PATTERN, InputModel, left_out, one_line
from servicekit.web.pagination import RowPage

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    Name = str
else:
    Name = one_line(100)


def _any_case(word: str) -> str:
    return "".join(f"[{char.upper()}{char}]" if char.isalpha() else char for char in word)


# `format: email` alone admits the special-use domains (RFC 6761: .test, .local, ...)
# that email-validator refuses: the pattern says so, from the library's own list.
_SPECIAL_USE = "|".join(map(_any_case, email_validator.SPECIAL_USE_DOMAIN_NAMES))
EMAIL_PATTERN = rf"^[^@]*@(?:[^@]*\.)?(?!(?:{_SPECIAL_USE})$)[^@.]*$"
# Stored lower-cased: one account per address, however it is typed.
Email = Annotated[
    EmailStr,
    StringConstraints(max_length=254),
    AfterValidator(str.lower),
    Field(json_schema_extra={"pattern": EMAIL_PATTERN}),
]
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


# Kept a str (the column's type), checked as a URL; the document says so.
Avatar = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_checked_url),
    Field(json_schema_extra={"format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}),
]


class UserCreate(InputModel):
    name: Name
    email: Email
    password: Password
    avatar: Avatar | None = None


class UserUpdate(InputModel):
    """Only the fields sent change; `avatar: null` clears the avatar, while a name, an
    email or a password is never null."""

    name: Name = left_out()
    email: Email = left_out()
    password: Password = left_out()
    avatar: Avatar | None = None


class UserRead(PublicProfile):
    """The public profile: what anyone may see."""


UserPage = RowPage[UserRead]


class UserCursor(Cursor, listing="users"):
    """Where a page of profiles in id order ends."""

    after_id: RowId = Field(alias="i")


class UserSearchCursor(Cursor, listing="users.search"):
    """Where a page of a name search, in (name_key, id) order, ends."""

    key_prefix: Filter[str] = Field(alias="q")
    after_key: str = Field(alias="k")
    after_id: RowId = Field(alias="i")


class UserPrivate(UserRead):
    """The profile as its owner sees it."""

    email: str


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_in: int
