"""Request parameters and dependencies both modes declare the same way: one contract,
one definition."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Query

from items_service.clients import UsersClient
from items_service.views import ViewCounter
from servicekit.web.inputs import MAX_ID, ONE_LINE_PATTERN, id_path
from servicekit.web.state import from_state

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


ViewCounterDep = Annotated[ViewCounter, from_state(lambda state: state.resources.views)]
UsersDep = Annotated[UsersClient, from_state(lambda state: state.resources.users)]
