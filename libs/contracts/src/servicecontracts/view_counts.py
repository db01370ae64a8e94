"""Item view counts, which items counts in Redis and the worker flushes into items'
database: the Redis keys, and the columns and table the flush writes.

A read of an item adds one to the hash `<prefix>:pending` (item id -> views since the
last flush). A flush renames it to `<prefix>:flushing`, keeps its flush id in
`<prefix>:flushing:id`, adds the counts to the items table and deletes both; it then
stores its time in `<prefix>:flushed_at`. Both sides read the prefix from the same
setting, `VIEWS_KEY_PREFIX`.

The tables are items' (its migrations create them): items declares its `items` table
with `item_id()` and `item_views()` among its own columns and copies `view_flushes` into
its metadata; the worker writes both through `flushed_items` and `view_flushes`.
"""

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, String, Table, table
from sqlalchemy.orm import MappedColumn, mapped_column

from servicecontracts.storage import UTCDateTime, shared_metadata

DEFAULT_PREFIX = "items:views"


@dataclass(frozen=True)
class ViewKeys:
    prefix: str = DEFAULT_PREFIX

    @property
    def pending(self) -> str:
        return f"{self.prefix}:pending"

    @property
    def flushing(self) -> str:
        return f"{self.prefix}:flushing"

    @property
    def flush_id(self) -> str:
        return f"{self.prefix}:flushing:id"

    @property
    def flushed_at(self) -> str:
        """Unix time of the last completed flush."""
        return f"{self.prefix}:flushed_at"


# Factories: a column belongs to one table, and each side needs its own.
def item_id() -> MappedColumn[int]:
    """`items.id`, the item id a view count is kept under in Redis."""
    return mapped_column("id", BigInteger, primary_key=True, autoincrement=True)


def item_views() -> MappedColumn[int]:
    """`items.views`: flushed views only; the ones not flushed yet wait in Redis."""
    return mapped_column("views", BigInteger, nullable=False, server_default="0")


# The part of items' `items` table that a flush writes.
flushed_items = table("items", item_id().column, item_views().column)

# A flush of view counts from Redis that has been added to `items.views`. The flush
# inserts its flush id in the same transaction as its counts, so a flush retried after a
# crash finds its id here and adds nothing a second time. Written and pruned by the
# worker only.
view_flushes = Table(
    "view_flushes",
    shared_metadata(),
    Column("id", String(64), primary_key=True),
    Column("applied_at", UTCDateTime(), nullable=False, index=True),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_unicode_ci",
)
