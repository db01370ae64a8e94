"""The items API in async handlers under /api. Handlers hold no SQL and no rules: they
run the service functions through `AsyncSession.run_sync`, count views in Redis and
fetch owners from users.

Reads close their session before Redis and users are called: the transaction is over,
so no pooled connection sits idle while the request waits on the network (the session
dependency's final commit is then a no-op).
"""

from fastapi import APIRouter, Response, status

from items_service import service
from items_service.errors import NotYourItem
from items_service.params import (
    Expand,
    ItemId,
    OwnerFilter,
    OwnerId,
    TitlePrefix,
    UsersDep,
    ViewCounterDep,
)
from items_service.schemas import ItemCreate, ItemRead, ItemUpdate, ItemWithOwner, OwnerSummary
from servicekit.auth import CurrentUser
from servicekit.openapi import problem_responses
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.redis_clients import RedisDep
from servicekit.sessions import AsyncSessionDep

router = APIRouter(prefix="/api", tags=["async"])


@router.post("/items", status_code=status.HTTP_201_CREATED)
async def create_item(
    body: ItemCreate, principal: CurrentUser, session: AsyncSessionDep, response: Response
) -> ItemRead:
    """Add an item owned by the caller."""
    item = await session.run_sync(service.create_item, principal, body)
    response.headers["Location"] = f"{router.prefix}/items/{item.id}"
    return item


@router.get("/items", response_model=Page[ItemWithOwner] | Page[ItemRead])
async def list_items(
    session: AsyncSessionDep,
    users: UsersDep,
    owner_id: OwnerFilter = None,
    q: TitlePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    expand: Expand = None,
) -> Response:
    """List items by id, one owner's items, or items by title prefix."""
    page = await session.run_sync(
        service.list_items, owner_id=owner_id, q=q, limit=limit, cursor=cursor
    )
    if expand is None:
        return page.response()
    await session.close()  # see the module docstring
    owners = await users.profiles(item.owner_id for item in page.items)
    return service.page_with_owners(page, owners).response()


@router.get("/items/summary")
async def summarize_owner(owner_id: OwnerId, session: AsyncSessionDep) -> OwnerSummary:
    """How many items a user has, and their views."""
    return await session.run_sync(service.owner_summary, owner_id)


@router.get("/items/{item_id}")
async def read_item(
    item_id: ItemId,
    session: AsyncSessionDep,
    redis: RedisDep,
    views: ViewCounterDep,
    users: UsersDep,
    expand: Expand = None,
) -> ItemWithOwner | ItemRead:
    """An item, counting this view."""
    item = await session.run_sync(service.get_item, item_id)
    await session.close()  # see the module docstring
    item.views += await views.count(redis, item_id)
    if expand is None:
        return item
    return service.with_owner(item, await users.profiles([item.owner_id]))


@router.patch("/items/{item_id}", responses=problem_responses(NotYourItem))
async def update_item(
    item_id: ItemId, body: ItemUpdate, principal: CurrentUser, session: AsyncSessionDep
) -> ItemRead:
    """Change the caller's own item."""
    return await session.run_sync(service.update_item, principal, item_id, body)


@router.delete(
    "/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotYourItem),
)
async def delete_item(item_id: ItemId, principal: CurrentUser, session: AsyncSessionDep) -> None:
    """Delete the caller's own item."""
    await session.run_sync(service.delete_item, principal, item_id)
