"""The rules of the items service. Functions take a sync `Session`, never commit, and
raise domain errors; async handlers run them through `AsyncSession.run_sync`.

Reads return the stored `views` column: the views not flushed yet are added by the
caller from Redis (views.py), on the single-item read only.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from items_service import repository
from items_service.errors import ItemNotFound, NotYourItem
from items_service.schemas import (
    ItemCreate,
    ItemCursor,
    ItemRead,
    ItemTitleCursor,
    ItemUpdate,
    ItemWithOwner,
    Owner,
    OwnerSummary,
)
from servicekit.models import utcnow
from servicekit.pagination import Page
from servicekit.tokens import Principal


def create_item(session: Session, principal: Principal, data: ItemCreate) -> ItemRead:
    now = utcnow()
    values: dict[str, Any] = {
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
    # A search over all owners goes in title order, every other listing in id order.
    by_title = key is not None and owner_id is None
    after = _after(cursor, owner_id, key, by_title=by_title) if cursor else None
    # One row more than asked says whether there is a next page.
    rows = repository.page(session, limit=limit + 1, owner_id=owner_id, key_prefix=key, after=after)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        end = (
            ItemTitleCursor(title_prefix=key, after_key=last.title_key, after_id=last.id)
            if by_title and key is not None  # (key is set whenever by_title)
            else ItemCursor(owner_id=owner_id, title_prefix=key, after_id=last.id)
        )
        next_cursor = end.encode()
    return Page[ItemRead]([_read(row) for row in rows[:limit]], next_cursor)


def _after(
    cursor: str, owner_id: int | None, key: str | None, *, by_title: bool
) -> int | tuple[str, int]:
    """Where the page starts; the cursor must come from a page with the same filters."""
    if by_title:
        start = ItemTitleCursor.decode(cursor, title_prefix=key)
        return start.after_key, start.after_id
    return ItemCursor.decode(cursor, owner_id=owner_id, title_prefix=key).after_id


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
    return Page[ItemWithOwner](items, page.next_cursor)


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
