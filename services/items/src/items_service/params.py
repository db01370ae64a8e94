"""Request parameters and dependencies both modes declare the same way: one contract,
one definition."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Depends, Query, Request

from items_service.clients import UsersClient
from items_service.views import ViewCounter
from servicekit.schemas import MAX_ID, ONE_LINE_PATTERN, id_path

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    ItemId = int
else:
    ItemId = id_path("An item's id")
OwnerId = Annotated[int, Query(ge=1, le=MAX_ID, description="A user's id")]
OwnerFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this user's items")]
TitlePrefix = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=ONE_LINE_PATTERN,
        description="Case-insensitive prefix of the title",
    ),
]
Expand = Annotated[
    Literal["owner"] | None,
    Query(description="`owner` adds the owner's public profile, fetched from users"),
]


# async: plain def dependencies would cost a thread hop per request.
async def _view_counter(request: Request) -> ViewCounter:
    return request.app.state.views


async def _users(request: Request) -> UsersClient:
    return request.app.state.users


ViewCounterDep = Annotated[ViewCounter, Depends(_view_counter)]
UsersDep = Annotated[UsersClient, Depends(_users)]
