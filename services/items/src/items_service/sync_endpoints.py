"""The items API in sync handlers under /sync/api: the same contract as endpoints.py,
in `def` handlers that FastAPI runs in its thread pool with a sync `Session`.

Handlers return their response serialized (`json_response`), never a bare model:
servicekit.responses says why (a deadlock under load otherwise). Reads close their
session before Redis and users are called, as in endpoints.py."""

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
from servicekit.redis_clients import SyncRedisDep
from servicekit.responses import json_response, no_content
from servicekit.sessions import SessionDep

router = APIRouter(prefix="/sync/api", tags=["sync"])


@router.post("/items", status_code=status.HTTP_201_CREATED, response_model=ItemRead)
def create_item(body: ItemCreate, principal: CurrentUser, session: SessionDep) -> Response:
    """Add an item owned by the caller."""
    item = service.create_item(session, principal, body)
    location = f"{router.prefix}/items/{item.id}"
    return json_response(item, status.HTTP_201_CREATED, {"Location": location})


@router.get("/items", response_model=Page[ItemWithOwner] | Page[ItemRead])
def list_items(
    session: SessionDep,
    users: UsersDep,
    owner_id: OwnerFilter = None,
    q: TitlePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    expand: Expand = None,
) -> Response:
    """List items by id, one owner's items, or items by title prefix."""
    page = service.list_items(session, owner_id=owner_id, q=q, limit=limit, cursor=cursor)
    if expand is None:
        return page.response()
    session.close()  # see the module docstring
    owners = users.profiles_sync(item.owner_id for item in page.items)
    return service.page_with_owners(page, owners).response()


@router.get("/items/summary", response_model=OwnerSummary)
def summarize_owner(owner_id: OwnerId, session: SessionDep) -> Response:
    """How many items a user has, and their views."""
    return json_response(service.owner_summary(session, owner_id))


@router.get("/items/{item_id}", response_model=ItemWithOwner | ItemRead)
def read_item(
    item_id: ItemId,
    session: SessionDep,
    redis: SyncRedisDep,
    views: ViewCounterDep,
    users: UsersDep,
    expand: Expand = None,
) -> Response:
    """An item, counting this view."""
    item = service.get_item(session, item_id)
    session.close()  # see the module docstring
    item.views += views.count_sync(redis, item_id)
    if expand is None:
        return json_response(item)
    return json_response(service.with_owner(item, users.profiles_sync([item.owner_id])))


@router.patch("/items/{item_id}", response_model=ItemRead, responses=problem_responses(NotYourItem))
def update_item(
    item_id: ItemId, body: ItemUpdate, principal: CurrentUser, session: SessionDep
) -> Response:
    """Change the caller's own item."""
    return json_response(service.update_item(session, principal, item_id, body))


@router.delete(
    "/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotYourItem),
)
def delete_item(item_id: ItemId, principal: CurrentUser, session: SessionDep) -> Response:
    """Delete the caller's own item."""
    service.delete_item(session, principal, item_id)
    return no_content()
