"""The SQL of the items service.

Reads are named queries in queries.sql (servicekit.queries.named_sql), run on the driver's
connection in either mode (servicekit.queries.reads). Writes are SQLAlchemy statements built
once, here, run on a sync `Session`, which async handlers run through
`AsyncSession.run_sync`.
"""

from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from items_service.models import Item
from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads, Row
from servicekit.queries.search import like_prefix

SQL = NamedSQL.load(Path(__file__).parent, "queries")

# Run on the session's connection, as Core: the new primary key is reported on both
# servers (the session would take it for an ORM bulk insert, which reports none).
_insert = insert(Item)
# Without values: the SET clause is made of the keys each execution passes (as Core, on
# the connection; the session would take a dict of values for an ORM bulk update).
_update = update(Item).where(Item.id == bindparam("item_id"))
_delete = delete(Item).where(Item.id == bindparam("id"))


def summary(reads: Reads, owner_id: int) -> tuple[int, int]:
    """(items, stored views) of one owner."""
    row = reads.row(SQL.owner_summary, owner_id=owner_id)
    assert row is not None  # an aggregate answers one row
    # SUM is a DECIMAL on MySQL and a NUMERIC on Postgres.
    return row["items"], int(row["views"])


def item(reads: Reads, item_id: int) -> Row | None:
    return reads.row(SQL.item, id=item_id)


def owner_of(reads: Reads, item_id: int) -> int | None:
    owner: int | None = reads.value(SQL.owner_of, id=item_id)
    return owner


def page(
    reads: Reads,
    *,
    limit: int,
    owner_id: int | None,
    key_prefix: str | None,
    after: int | tuple[str, int] | None,
) -> list[Row]:
    """One page of items in id order, or in (title_key, id) order when searching without
    an owner; `after` is the last row's id, or its (title_key, id) in title order (those
    rows carry `title_key`)."""
    if key_prefix is None:
        if owner_id is None:
            if after is None:
                return reads.rows(SQL.items_page, limit=limit)
            return reads.rows(SQL.items_page_after, after_id=after, limit=limit)
        if after is None:
            return reads.rows(SQL.owner_items, owner_id=owner_id, limit=limit)
        return reads.rows(SQL.owner_items_after, owner_id=owner_id, after_id=after, limit=limit)
    prefix = like_prefix(key_prefix)
    if owner_id is not None:
        if after is None:
            return reads.rows(SQL.owner_items_titled, owner_id=owner_id, prefix=prefix, limit=limit)
        return reads.rows(
            SQL.owner_items_titled_after,
            owner_id=owner_id,
            prefix=prefix,
            after_id=after,
            limit=limit,
        )
    if after is None:
        return reads.rows(SQL.items_by_title, prefix=prefix, limit=limit)
    assert isinstance(after, tuple)
    after_key, after_id = after
    return reads.rows(
        SQL.items_by_title_after, prefix=prefix, after_key=after_key, after_id=after_id, limit=limit
    )


def insert_item(session: Session, values: dict[str, Any]) -> int:
    key = session.connection().execute(_insert, values).inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    return cast(int, key[0])  # a Row's items are untyped; this one is the BIGINT id


def update_item(session: Session, item_id: int, values: dict[str, Any], now: datetime) -> bool:
    params = {**values, "updated_at": now, "item_id": item_id}
    return session.connection().execute(_update, params).rowcount == 1


def delete_item(session: Session, item_id: int) -> bool:
    # On the connection: its CursorResult has the rowcount (the same SQL as the session's).
    return session.connection().execute(_delete, {"id": item_id}).rowcount == 1
