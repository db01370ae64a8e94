"""Request parameters both modes declare the same way: one contract, one definition."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Depends, Form, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from servicekit.schemas import NO_CONTROL_PATTERN, ONE_LINE_PATTERN, id_path, left_out
from users_service.hashing import HashingGate
from users_service.login_limits import LoginLimits
from users_service.security import TokenIssuer

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    UserId = int
else:
    UserId = id_path("A user's id")
NamePrefix = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        pattern=ONE_LINE_PATTERN,
        description="Case-insensitive prefix of the name",
    ),
]


class PasswordLogin(BaseModel):
    """The OAuth2 password grant form; `username` is the email address."""

    model_config = ConfigDict(extra="forbid")

    # Looked up in the database: a NUL there was a 500 on Postgres.
    username: str = Field(min_length=1, max_length=254, pattern=NO_CONTROL_PATTERN)
    password: str = Field(min_length=1, max_length=128)
    # A form field cannot be null: the grant type is "password" or left out.
    grant_type: Literal["password"] = left_out()
    scope: str = Field(default="", max_length=256)


LoginForm = Annotated[PasswordLogin, Form()]


async def _token_issuer(request: Request) -> TokenIssuer:
    # async: a plain def dependency would cost a thread hop per request.
    return request.app.state.token_issuer


TokenIssuerDep = Annotated[TokenIssuer, Depends(_token_issuer)]


async def _login_limits(request: Request) -> LoginLimits:
    return request.app.state.login_limits


async def _hashing(request: Request) -> HashingGate:
    return request.app.state.hashing


LoginLimitsDep = Annotated[LoginLimits, Depends(_login_limits)]
HashingDep = Annotated[HashingGate, Depends(_hashing)]
