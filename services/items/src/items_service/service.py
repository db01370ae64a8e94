"""The rules of the items service. Reads take `Reads` (servicekit.queries.reads), writes a sync
`Session`; async handlers run either in their greenlet. Nothing here commits; errors
are domain errors.

Reads return the stored `views` column: the views not flushed yet are added by the
caller from Redis (views.py), on the single-item read only.
"""

from collections.abc import Mapping
from typing import Any

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
)
from servicecontracts.reports import OwnerSummary
from servicekit.db.models import utcnow
from servicekit.queries.reads import Reads, reads_of
from servicekit.security.tokens import Principal
from servicekit.web.pagination import RowPage


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


def get_item(reads: Reads, item_id: int) -> ItemRead:
    row = repository.item(reads, item_id)
    if row is None:
        raise ItemNotFound(f"No item with id {item_id}")
    return ItemRead.model_construct(**row)


def list_items(
    reads: Reads, *, owner_id: int | None, q: str | None, limit: int, cursor: str | None
) -> RowPage[ItemRead]:
    """A page of items, its items the rows as the driver gave them."""
    key = q.lower() if q else None
    # A search over all owners goes in title order, every other listing in id order.
    if key is not None and owner_id is None:
        after: tuple[str, int] | int | None = None
        if cursor:
            start = ItemTitleCursor.decode(cursor, title_prefix=key)
            after = start.after_key, start.after_id
        return RowPage[ItemRead].fetch(
            limit,
            lambda count: repository.page(
                reads, limit=count, owner_id=None, key_prefix=key, after=after
            ),
            lambda last: ItemTitleCursor(
                title_prefix=key, after_key=last["title_key"], after_id=last["id"]
            ).encode(),
            cursor_keys=("title_key",),  # the cursor's, not the item's
        )
    # The cursor must come from a page with the same filters.
    after = (
        ItemCursor.decode(cursor, owner_id=owner_id, title_prefix=key).after_id if cursor else None
    )
    return RowPage[ItemRead].fetch(
        limit,
        lambda count: repository.page(
            reads, limit=count, owner_id=owner_id, key_prefix=key, after=after
        ),
        lambda last: ItemCursor(owner_id=owner_id, title_prefix=key, after_id=last["id"]).encode(),
    )


def owner_summary(reads: Reads, owner_id: int) -> OwnerSummary:
    items, views = repository.summary(reads, owner_id)
    return OwnerSummary(owner_id=owner_id, items=items, views=views)


def update_item(
    session: Session, principal: Principal, item_id: int, changes: ItemUpdate
) -> ItemRead:
    _require_owner(session, principal, item_id)
    values = changes.model_dump(include=changes.model_fields_set)
    # `{}` changes nothing, updated_at included.
    if values and not repository.update_item(session, item_id, values, utcnow()):
        raise ItemNotFound(f"No item with id {item_id}")  # deleted since the check
    return get_item(reads_of(session), item_id)


def delete_item(session: Session, principal: Principal, item_id: int) -> None:
    _require_owner(session, principal, item_id)
    if not repository.delete_item(session, item_id):
        raise ItemNotFound(f"No item with id {item_id}")


def _require_owner(session: Session, principal: Principal, item_id: int) -> None:
    # Existence first: a missing item is 404 for everyone, someone else's is 403.
    owner_id = repository.owner_of(reads_of(session), item_id)
    if owner_id is None:
        raise ItemNotFound(f"No item with id {item_id}")
    if owner_id != principal.user_id:
        raise NotYourItem("Only the item's owner may change or delete it")


def with_owner(item: ItemRead, owners: Mapping[int, Owner | None]) -> ItemWithOwner:
    return ItemWithOwner.model_construct(**dict(item), owner=owners.get(item.owner_id))


def page_with_owners(
    page: RowPage[ItemRead], owners: Mapping[int, Owner | None]
) -> RowPage[ItemWithOwner]:
    for row in page.items:
        row["owner"] = owners.get(row["owner_id"])
    return RowPage[ItemWithOwner](page.items, page.next_cursor)
