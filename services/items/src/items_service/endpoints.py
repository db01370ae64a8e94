"""The items API in both modes (servicekit.web.modes). Handlers hold no SQL and no rules.

Writes and the owner summary are declared once. Listing and reading also call Redis
(view counts) and users (owner profiles), so they are written out per mode, side by
side; `def` twins return their response serialized (servicekit.web.responses says why).

A read returns its connection before Redis and users are called (servicekit.queries.reads), so
no pooled connection sits idle while the request waits on the network.
"""

from fastapi import Response, status
from sqlalchemy.orm import Session

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
from items_service.schemas import ItemCreate, ItemRead, ItemUpdate, ItemWithOwner
from servicecontracts.reports import OwnerSummary
from servicekit.queries.reads import Reads, run_read, run_read_sync
from servicekit.web.auth import CurrentUser
from servicekit.web.modes import BothModes
from servicekit.web.openapi import problem_responses
from servicekit.web.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.web.responses import json_response
from servicekit.web.state import DatabaseDep, RedisDep, SyncRedisDep

api = BothModes()


@api.post("/items", status_code=status.HTTP_201_CREATED, location="/items/{id}")
def create_item(body: ItemCreate, principal: CurrentUser, session: Session) -> ItemRead:
    """Add an item owned by the caller."""
    return service.create_item(session, principal, body)


@api.get("/items", mode="async", response_model=Page[ItemWithOwner] | Page[ItemRead])
async def list_items(
    db: DatabaseDep,
    users: UsersDep,
    owner_id: OwnerFilter = None,
    q: TitlePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    expand: Expand = None,
) -> Response:
    """List items by id, one owner's items, or items by title prefix."""
    page = await run_read(
        db, service.list_items, owner_id=owner_id, q=q, limit=limit, cursor=cursor
    )
    if expand is None:
        return page.response()
    owners = await users.profiles([item["owner_id"] for item in page.items])
    return service.page_with_owners(page, owners).response()


@api.get("/items", mode="sync")
def list_items_sync(
    db: DatabaseDep,
    users: UsersDep,
    owner_id: OwnerFilter = None,
    q: TitlePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    expand: Expand = None,
) -> Response:
    page = run_read_sync(db, service.list_items, owner_id=owner_id, q=q, limit=limit, cursor=cursor)
    if expand is None:
        return page.response()
    owners = users.profiles_sync([item["owner_id"] for item in page.items])
    return service.page_with_owners(page, owners).response()


@api.get("/items/summary")
def summarize_owner(owner_id: OwnerId, reads: Reads) -> OwnerSummary:
    """How many items a user has, and their views."""
    return service.owner_summary(reads, owner_id)


@api.get("/items/{item_id}", mode="async")
async def read_item(
    item_id: ItemId,
    db: DatabaseDep,
    redis: RedisDep,
    views: ViewCounterDep,
    users: UsersDep,
    expand: Expand = None,
) -> ItemWithOwner | ItemRead:
    """An item, counting this view."""
    item = await run_read(db, service.get_item, item_id=item_id)
    item.views += await views.count(redis, item_id)
    if expand is None:
        return item
    return service.with_owner(item, await users.profiles([item.owner_id]))


@api.get("/items/{item_id}", mode="sync")
def read_item_sync(
    item_id: ItemId,
    db: DatabaseDep,
    redis: SyncRedisDep,
    views: ViewCounterDep,
    users: UsersDep,
    expand: Expand = None,
) -> Response:
    item = run_read_sync(db, service.get_item, item_id=item_id)
    item.views += views.count_sync(redis, item_id)
    if expand is None:
        return json_response(item)
    return json_response(service.with_owner(item, users.profiles_sync([item.owner_id])))


@api.patch("/items/{item_id}", responses=problem_responses(NotYourItem))
def update_item(
    item_id: ItemId, body: ItemUpdate, principal: CurrentUser, session: Session
) -> ItemRead:
    """Change the caller's own item."""
    return service.update_item(session, principal, item_id, body)


@api.delete(
    "/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotYourItem),
)
def delete_item(item_id: ItemId, principal: CurrentUser, session: Session) -> None:
    """Delete the caller's own item."""
    service.delete_item(session, principal, item_id)
