"""How every table of the system is stored: constraint names, times and ids agree on
both servers, whichever service writes the row.

The tables two services share are declared with these here; each service's own tables
take them from servicekit.db.models and servicekit.web.inputs, which import them from here.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.dialects.mysql import DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The largest BIGINT, the type of every id column: every id, path parameter and cursor
# position stays within it, so an oversized number is a 422 rather than an overflow in
# the database.
MAX_ID = 2**63 - 1

# Fixed constraint names, so migrations and error matching (`db.violates`) agree on
# both servers.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def shared_metadata() -> MetaData:
    """The metadata of a shared table: one per table, never one for them all, since a
    service copies a table into its own metadata (`Table.to_metadata`) beside its own."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: Postgres keeps the zone, MySQL DATETIME does not."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "mysql":  # MariaDB too; microseconds, like Postgres
            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # Postgres hands back aware datetimes in the session's zone, which servicekit.db.engines
        # sets to UTC: a step per value would cost a 50-row page 4% of its time.
        if dialect.name == "postgresql":
            return None
        # One plain call per value rather than TypeDecorator's generic chain: a 50-row
        # tasks page of three such columns makes 150 of them.
        driver = self.load_dialect_impl(dialect).result_processor(dialect, coltype)
        if driver is None:
            return _as_utc
        return lambda value: _as_utc(driver(value))

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
