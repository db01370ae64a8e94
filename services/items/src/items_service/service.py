"""The rules of the items service. Functions take a sync `Session`, never commit, and
raise domain errors; async handlers run them through `AsyncSession.run_sync`.

Reads return the stored `views` column: the views not flushed yet are added by the
caller from Redis (views.py), on the single-item read only.
"""

from collections.abc import Mapping

from sqlalchemy import Row
from sqlalchemy.orm import Session

from items_service import repository
from items_service.errors import ItemNotFound, NotYourItem
from items_service.schemas import (
    ItemCreate,
    ItemRead,
    ItemUpdate,
    ItemWithOwner,
    Owner,
    OwnerSummary,
)
from servicekit.models import utcnow
from servicekit.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from servicekit.schemas import is_id
from servicekit.tokens import Principal

LISTING = "items"  # the name its cursors carry (servicekit.pagination)


def create_item(session: Session, principal: Principal, data: ItemCreate) -> ItemRead:
    now = utcnow()
    values = {
        "owner_id": principal.user_id,
        "title": data.title,
        "description": data.description,
        "views": 0,
        "created_at": now,
        "updated_at": now,
    }
    item_id = repository.insert_item(session, values)
    return ItemRead.model_construct(id=item_id, **values)


def get_item(session: Session, item_id: int) -> ItemRead:
    row = repository.item(session, item_id)
    if row is None:
        raise ItemNotFound(f"No item with id {item_id}")
    return _read(row)


def list_items(
    session: Session, *, owner_id: int | None, q: str | None, limit: int, cursor: str | None
) -> Page[ItemRead]:
    key = q.lower() if q else None
    # The filters go into the cursor: a cursor is only good for the listing it came from.
    filters = {name: value for name, value in (("o", owner_id), ("q", key)) if value is not None}
    by_title = key is not None and owner_id is None
    after = _position(cursor, filters, by_title) if cursor else None
    # One row more than asked says whether there is a next page.
    rows = repository.page(session, limit=limit + 1, owner_id=owner_id, key_prefix=key, after=after)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        position = {"k": last.title_key, "i": last.id} if by_title else {"i": last.id}
        next_cursor = encode_cursor(LISTING, filters | position)
    items = [_read(row) for row in rows[:limit]]
    return Page[ItemRead].model_construct(items=items, next_cursor=next_cursor)


def _position(cursor: str, filters: dict, by_title: bool) -> int | tuple[str, int]:
    position = decode_cursor(LISTING, cursor)
    expected = set(filters) | ({"k", "i"} if by_title else {"i"})
    made_for = {name: position[name] for name in ("o", "q") if name in position}
    same_filters = made_for == filters and all(
        type(made_for[name]) is type(filters[name]) for name in filters
    )
    after_id = position.get("i")
    if set(position) != expected or not same_filters or not is_id(after_id):
        raise InvalidCursor("The cursor does not belong to this listing")
    if not by_title:
        return after_id
    after_key = position["k"]  # free of control characters: decode_cursor checked
    if not isinstance(after_key, str):
        raise InvalidCursor("The cursor does not belong to this listing")
    return after_key, after_id


def owner_summary(session: Session, owner_id: int) -> OwnerSummary:
    items, views = repository.summary(session, owner_id)
    return OwnerSummary(owner_id=owner_id, items=items, views=views)


def update_item(
    session: Session, principal: Principal, item_id: int, changes: ItemUpdate
) -> ItemRead:
    _require_owner(session, principal, item_id)
    values = changes.model_dump(include=changes.model_fields_set)
    # `{}` changes nothing, updated_at included.
    if values and not repository.update_item(session, item_id, values, utcnow()):
        raise ItemNotFound(f"No item with id {item_id}")  # deleted since the check
    return get_item(session, item_id)


def delete_item(session: Session, principal: Principal, item_id: int) -> None:
    _require_owner(session, principal, item_id)
    if not repository.delete_item(session, item_id):
        raise ItemNotFound(f"No item with id {item_id}")


def _require_owner(session: Session, principal: Principal, item_id: int) -> None:
    # Existence first: a missing item is 404 for everyone, someone else's is 403.
    owner_id = repository.owner_of(session, item_id)
    if owner_id is None:
        raise ItemNotFound(f"No item with id {item_id}")
    if owner_id != principal.user_id:
        raise NotYourItem("Only the item's owner may change or delete it")


def with_owner(item: ItemRead, owners: Mapping[int, Owner | None]) -> ItemWithOwner:
    return ItemWithOwner.model_construct(**dict(item), owner=owners.get(item.owner_id))


def page_with_owners(
    page: Page[ItemRead], owners: Mapping[int, Owner | None]
) -> Page[ItemWithOwner]:
    items = [with_owner(item, owners) for item in page.items]
    return Page[ItemWithOwner].model_construct(items=items, next_cursor=page.next_cursor)


def _read(row: Row) -> ItemRead:
    return ItemRead.model_construct(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        description=row.description,
        views=row.views,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
