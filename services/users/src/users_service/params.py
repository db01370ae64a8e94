"""Request parameters both modes declare the same way: one contract, one definition."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Form, Query
from pydantic import BaseModel, ConfigDict, Field

from servicekit.web.inputs import NO_CONTROL_PATTERN, ONE_LINE_PATTERN, id_path, left_out
from servicekit.web.state import from_state
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


TokenIssuerDep = Annotated[TokenIssuer, from_state(lambda state: state.resources.token_issuer)]
LoginLimitsDep = Annotated[LoginLimits, from_state(lambda state: state.resources.login_limits)]
HashingDep = Annotated[HashingGate, from_state(lambda state: state.resources.hashing)]
