"""Aware UTC datetimes in and out on both servers and modes; fixed constraint names."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    exc,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from devstack import databases
from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import Database, create_database
from servicekit.db.models import NAMING_CONVENTION, UTCDateTime, utcnow

metadata = MetaData()
events = Table(
    "model_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
)

# Five hours behind UTC, with microseconds that a second-precision column would lose.
LOCAL = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=-5)))


async def store_and_read(db: Database, mode: str, value: datetime | None) -> datetime | None:
    if mode == "async":
        async with db.async_engine.begin() as connection:
            inserted = await connection.execute(insert(events).values(at=value))
            key = inserted.inserted_primary_key
            assert key is not None  # typed Optional, but a one-row INSERT always reports it
            row_id = key[0]
        async with db.async_engine.connect() as connection:
            query = select(events.c.at).where(events.c.id == row_id)
            result: datetime | None = (await connection.execute(query)).scalar_one()
            return result

    def run() -> datetime | None:
        with db.sync_engine.begin() as connection:
            key = connection.execute(insert(events).values(at=value)).inserted_primary_key
            assert key is not None  # typed Optional, but a one-row INSERT always reports it
            row_id = key[0]
        with db.sync_engine.connect() as connection:
            query = select(events.c.at).where(events.c.id == row_id)
            result: datetime | None = connection.execute(query).scalar_one()
            return result

    return await asyncio.to_thread(run)


@pytest.fixture
async def database(
    database_url: str,
    tables: Callable[[MetaData], None],
    service_settings: Callable[..., ServiceSettings],
) -> AsyncIterator[Database]:
    tables(metadata)
    db = create_database(service_settings(database_url=database_url))
    yield db
    await db.dispose()


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_an_aware_datetime_comes_back_as_the_same_instant_in_utc(
    database: Database, mode: str
) -> None:
    stored = await store_and_read(database, mode, LOCAL)
    assert stored == LOCAL
    assert stored.utcoffset() == timedelta(0)
    assert stored.microsecond == LOCAL.microsecond


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_null_stays_null(database: Database, mode: str) -> None:
    assert await store_and_read(database, mode, None) is None


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_a_naive_datetime_is_refused(database: Database, mode: str) -> None:
    with pytest.raises(exc.StatementError) as raised:
        await store_and_read(database, mode, datetime(2025, 1, 1, 12, 0))
    assert isinstance(raised.value.orig, ValueError)


@pytest.fixture
async def postgres_in_new_york(
    server_urls: dict[str, str], service_settings: Callable[..., ServiceSettings]
) -> AsyncIterator[Database]:
    """A Postgres database whose sessions default to a zone that is not UTC, as a server
    set up with its machine's local time would be."""
    server = server_urls["postgres"]
    name = f"servicekit_tz_{os.getpid()}_{secrets.token_hex(3)}"
    databases.create_database(server, name)
    url = databases.with_database(server, name)
    db = create_database(service_settings(database_url=url))
    try:
        with db.sync_engine.begin() as connection:
            connection.execute(text(f"ALTER DATABASE {name} SET timezone TO 'America/New_York'"))
        metadata.create_all(db.sync_engine)
        await db.dispose()  # new connections pick the zone up
        yield db
    finally:
        await db.dispose()
        databases.drop_database(server, name)


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_values_come_back_in_utc_whatever_the_server_zone(
    postgres_in_new_york: Database, mode: str
) -> None:
    stored = await store_and_read(postgres_in_new_york, mode, LOCAL)
    assert stored == LOCAL
    assert stored.utcoffset() == timedelta(0), stored.isoformat()


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC


def test_constraints_get_the_conventional_names() -> None:
    conventional = MetaData(naming_convention=NAMING_CONVENTION)
    Table("owners", conventional, Column("id", Integer, primary_key=True))
    things = Table(
        "things",
        conventional,
        Column("id", Integer, primary_key=True),
        Column("owner_id", Integer, ForeignKey("owners.id")),
        Column("name", String(50)),
        Column("kind", String(50)),
        UniqueConstraint("owner_id", "name"),
    )
    index = Index(None, things.c.kind, things.c.name)
    index._set_parent(things)

    # The dialects' constructors are unannotated in SQLAlchemy.
    dialects = (postgresql.dialect(), mysql.dialect())  # type: ignore[no-untyped-call]
    for dialect in dialects:
        ddl = str(CreateTable(things).compile(dialect=dialect))
        assert "pk_things" in ddl
        assert "uq_things_owner_id_name" in ddl
        assert "fk_things_owner_id_owners" in ddl
        assert "ix_things_kind_name" in str(CreateIndex(index).compile(dialect=dialect))
