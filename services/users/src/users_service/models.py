"""The users table."""

from datetime import datetime

from sqlalchemy import BigInteger, Computed, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db.models import NAMING_CONVENTION, UTCDateTime

# The search key is compared byte-wise, so one B-tree index on (name_key, id) serves
# both the prefix LIKE and the ORDER BY of a search page, on Postgres and MySQL alike.
_NAME_KEY = String(100, collation="C").with_variant(
    String(100, collation="utf8mb4_bin"), "mysql", "mariadb"
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    # Lower-cased name, kept by the database itself (a stored generated column).
    name_key: Mapped[str] = mapped_column(_NAME_KEY, Computed("lower(name)", persisted=True))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    avatar: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_users_name_key_id", "name_key", "id"),
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},
    )
