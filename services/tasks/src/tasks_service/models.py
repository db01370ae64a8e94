"""The tasks table."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db.models import NAMING_CONVENTION, UTCDateTime

TITLE_MAX_CHARS = 200


class Base(DeclarativeBase):
    """The tasks service's own metadata. One base shared by every service would hold the
    tables of every service imported in the same process (the test session imports them
    all): autogenerate would then want the users table in the tasks database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # A user id of the users service: no foreign key, each service owns its own database.
    owner_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_CHARS))
    due_date: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Every list page is `owner_id = :me [AND done = :done] AND id > :after ORDER BY id
    # LIMIT n`: an equality prefix, then the sort key. (owner_id, id) serves "my tasks" and
    # (owner_id, done, id) "my open tasks" and "my done tasks" as one index range read in
    # order, so a page costs the same at any depth and however the owner's tasks split
    # between done and open. Neither index can stand in for the other: without `done` in
    # the key a filtered page scans past every task of the other state, and with it an
    # unfiltered page would have to merge two ranges, which neither server does in order.
    # Reads by id are primary key lookups that check owner_id on the row.
    __table_args__ = (
        Index("ix_tasks_owner_id_id", "owner_id", "id"),
        Index("ix_tasks_owner_id_done_id", "owner_id", "done", "id"),
        # Both columns change in one UPDATE; the server refuses any write that splits them.
        CheckConstraint("done = (done_at IS NOT NULL)", name="done_at_matches_done"),
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},
    )
