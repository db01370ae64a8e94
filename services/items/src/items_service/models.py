"""The items table, and the flushes of view counts already added to it."""

from datetime import datetime

from sqlalchemy import BigInteger, Computed, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.models import NAMING_CONVENTION, UTCDateTime

# The search key is compared byte-wise, so one B-tree index on (title_key, id) serves
# both the prefix LIKE and the ORDER BY of a search page, on Postgres and MySQL alike.
_TITLE_KEY = String(200, collation="C").with_variant(
    String(200, collation="utf8mb4_bin"), "mysql", "mariadb"
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # A user of the users service; no foreign key, since that table is in another database.
    owner_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    # Lower-cased title, kept by the database itself (a stored generated column).
    title_key: Mapped[str] = mapped_column(_TITLE_KEY, Computed("lower(title)", persisted=True))
    description: Mapped[str | None] = mapped_column(String(2000))
    # Flushed views only; the ones not flushed yet wait in Redis (see views.py).
    views: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_items_title_key_id", "title_key", "id"),
        Index("ix_items_owner_id_id", "owner_id", "id"),
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},
    )


class ViewFlush(Base):
    """A flush of view counts from Redis that has been added to `items.views`.

    The worker's flush job inserts its flush id in the same transaction as its counts, so
    a flush retried after a crash finds its id here and adds nothing a second time.
    Written and pruned by the worker only.
    """

    __tablename__ = "view_flushes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = ({"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},)
