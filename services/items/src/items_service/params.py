"""Request parameters and dependencies both modes declare the same way: one contract,
one definition."""

from typing import Annotated, Literal

import redis
import redis.asyncio
from fastapi import Depends, Path, Query, Request

from items_service.clients import UsersClient
from items_service.schemas import TITLE_CHARACTERS
from items_service.service import MAX_ID
from items_service.views import ViewCounter

# A search cursor holds the prefix and a title key of up to 200 characters each, up to
# 4 bytes apiece in UTF-8: more than servicekit's 512-character cursors can carry.
MAX_CURSOR_CHARS = 4096

ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="An item's id")]
OwnerFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this user's items")]
TitlePrefix = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=TITLE_CHARACTERS,
        description="Case-insensitive prefix of the title",
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, description="`next_cursor` of the previous page"),
]
Expand = Annotated[
    Literal["owner"] | None,
    Query(description="`owner` adds the owner's public profile, fetched from users"),
]


# async: plain def dependencies would cost a thread hop per request.
async def _redis(request: Request) -> redis.asyncio.Redis:
    return request.app.state.redis


async def _sync_redis(request: Request) -> redis.Redis:
    return request.app.state.sync_redis


async def _view_counter(request: Request) -> ViewCounter:
    return request.app.state.views


async def _users(request: Request) -> UsersClient:
    return request.app.state.users


RedisDep = Annotated[redis.asyncio.Redis, Depends(_redis)]
SyncRedisDep = Annotated[redis.Redis, Depends(_sync_redis)]
ViewCounterDep = Annotated[ViewCounter, Depends(_view_counter)]
UsersDep = Annotated[UsersClient, Depends(_users)]
