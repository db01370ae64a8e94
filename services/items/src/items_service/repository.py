"""The SQL of the items service.

Statements are built once, here, and run by either mode: services call these functions
with a sync `Session`, and async handlers run the same service functions through
`AsyncSession.run_sync`, where every `execute` awaits the async driver.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from items_service.models import Item
from servicekit.search import LIKE_ESCAPE, like_prefix

COLUMNS = (
    Item.id,
    Item.owner_id,
    Item.title,
    Item.description,
    Item.views,
    Item.created_at,
    Item.updated_at,
)

_by_id = select(*COLUMNS).where(Item.id == bindparam("id"))
_owner_of = select(Item.owner_id).where(Item.id == bindparam("id"))
# Run on the session's connection, as Core: the new primary key is reported on both
# servers (the session would take it for an ORM bulk insert, which reports none).
_insert = insert(Item)
# Without values: the SET clause is made of the keys each execution passes (as Core, on
# the connection; the session would take a dict of values for an ORM bulk update).
_update = update(Item).where(Item.id == bindparam("item_id"))
_delete = delete(Item).where(Item.id == bindparam("id"))


def _listing(*, owner: bool, search: bool, after: bool) -> Select:
    statement = select(*COLUMNS).limit(bindparam("limit"))
    if owner:
        statement = statement.where(Item.owner_id == bindparam("owner_id"))
    if search:
        statement = statement.where(Item.title_key.like(bindparam("prefix"), escape=LIKE_ESCAPE))
    if search and not owner:
        statement = statement.add_columns(Item.title_key).order_by(Item.title_key, Item.id)
        if after:
            # Both bounds on purpose: Postgres starts the index scan at the row comparison;
            # MariaDB cannot, but starts at `title_key >= after_key` and filters the few
            # rows of that one title. Either way a page costs the same at any depth.
            statement = statement.where(
                Item.title_key >= bindparam("after_key"),
                tuple_(Item.title_key, Item.id)
                > tuple_(bindparam("after_key"), bindparam("after_id")),
            )
        return statement
    # By id: the primary key, or (owner_id, id) for one owner's items. With a title
    # prefix too, the owner index still leads and the prefix filters that owner's rows:
    # an owner has few items, while a common prefix can match a large part of the table.
    statement = statement.order_by(Item.id)
    if after:
        statement = statement.where(Item.id > bindparam("after_id"))
    return statement


_LISTINGS = {
    (owner, search, after): _listing(owner=owner, search=search, after=after)
    for owner in (False, True)
    for search in (False, True)
    for after in (False, True)
}


_summary = select(func.count(), func.coalesce(func.sum(Item.views), 0)).where(
    Item.owner_id == bindparam("owner")
)


def summary(session: Session, owner_id: int) -> tuple[int, int]:
    """(items, stored views) of one owner: one range of the (owner_id, id) index."""
    count, views = session.execute(_summary, {"owner": owner_id}).one()
    return count, int(views)


def insert_item(session: Session, values: dict[str, Any]) -> int:
    key = session.connection().execute(_insert, values).inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    return key[0]


def item(session: Session, item_id: int) -> Row | None:
    return session.execute(_by_id, {"id": item_id}).one_or_none()


def owner_of(session: Session, item_id: int) -> int | None:
    return session.execute(_owner_of, {"id": item_id}).scalar_one_or_none()


def page(
    session: Session,
    *,
    limit: int,
    owner_id: int | None,
    key_prefix: str | None,
    after: int | tuple[str, int] | None,
) -> Sequence[Row]:
    """One page of items in id order, or in (title_key, id) order when searching without
    an owner; `after` is the last row's id, or its (title_key, id) in title order."""
    params: dict = {"limit": limit}
    if owner_id is not None:
        params["owner_id"] = owner_id
    if key_prefix is not None:
        params["prefix"] = like_prefix(key_prefix)
    if isinstance(after, tuple):
        params["after_key"], params["after_id"] = after
    elif after is not None:
        params["after_id"] = after
    statement = _LISTINGS[owner_id is not None, key_prefix is not None, after is not None]
    return session.execute(statement, params).all()


def update_item(session: Session, item_id: int, values: dict[str, Any], now: datetime) -> bool:
    params = {**values, "updated_at": now, "item_id": item_id}
    return session.connection().execute(_update, params).rowcount == 1


def delete_item(session: Session, item_id: int) -> bool:
    # On the connection: its CursorResult has the rowcount (the same SQL as the session's).
    return session.connection().execute(_delete, {"id": item_id}).rowcount == 1
