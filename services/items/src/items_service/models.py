"""The items table, and the flushes of view counts already added to it.

The worker's flush job writes both: the columns and table it writes are
servicecontracts.view_counts', declared there once.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Computed, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicecontracts.view_counts import item_id, item_views, view_flushes
from servicekit.db.models import NAMING_CONVENTION, UTCDateTime

# The search key is compared byte-wise, so one B-tree index on (title_key, id) serves
# both the prefix LIKE and the ORDER BY of a search page, on Postgres and MySQL alike.
_TITLE_KEY = String(200, collation="C").with_variant(
    String(200, collation="utf8mb4_bin"), "mysql", "mariadb"
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = item_id()
    # A user of the users service; no foreign key, since that table is in another database.
    owner_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    # Lower-cased title, kept by the database itself (a stored generated column).
    title_key: Mapped[str] = mapped_column(_TITLE_KEY, Computed("lower(title)", persisted=True))
    description: Mapped[str | None] = mapped_column(String(2000))
    # Flushed views only; the ones not flushed yet wait in Redis (see views.py).
    views: Mapped[int] = item_views()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_items_title_key_id", "title_key", "id"),
        Index("ix_items_owner_id_id", "owner_id", "id"),
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},
    )


# Written and pruned by the worker's flush job only; copied into items' metadata so that
# migrations see it beside the items table.
view_flushes_table = view_flushes.to_metadata(Base.metadata)
