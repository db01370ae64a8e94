"""Fixtures of the items suites: the app on each backend, an item factory, the app's
view counters in Redis, and checks shared by every module.

The plugin `testkit` provides `client`, `api`, `sql`, `mint_token`, `owner`,
`owner_factory` and the databases. Test modules cannot import each other
(`--import-mode=importlib`), so the shared helpers are fixtures.

In-process apps point `USERS_URL` at a port nobody listens on: users is down for them.
Owners' profiles from a real users process are the end-to-end suites' business.
"""

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy import text

from devstack.ports import free_port
from items_service.app import create_items_app
from items_service.settings import ItemsSettings
from items_service.views import ViewCounter
from servicecontracts.view_counts import ViewKeys
from testkit.apps import MODES
from testkit.owners import Owner
from testkit.transactions import Sql, Transaction

USERS_TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="session")
def alembic_ini() -> Path:
    return Path(__file__).parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def items_settings(jwt_public_key: str) -> Callable[..., ItemsSettings]:
    def make(database_url: str, redis_url: str, **overrides: Any) -> ItemsSettings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": redis_url,
            "jwt_public_key": jwt_public_key,
            "users_url": f"http://127.0.0.1:{free_port()}",
            "users_timeout_seconds": USERS_TIMEOUT_SECONDS,
            # Each app counts views under keys of its own: item ids repeat across backends
            # and runs, and a developer's Redis may hold real counts under the default.
            "views_key_prefix": f"items-test-{secrets.token_hex(4)}:views",
        }
        return ItemsSettings(**values | overrides)

    return make


@pytest.fixture(scope="session")
def app_factory(
    items_settings: Callable[..., ItemsSettings], redis_url: str
) -> Iterator[Callable[[str, str], FastAPI]]:
    made: list[ItemsSettings] = []

    def make(database_url: str, redis_url: str) -> FastAPI:
        settings = items_settings(database_url, redis_url)
        made.append(settings)
        return create_items_app(settings)

    yield make
    with redis.Redis.from_url(redis_url) as client:
        for settings in made:
            keys = ViewKeys(settings.views_key_prefix)
            client.delete(keys.pending, keys.flushing)


@pytest.fixture
def views_key_prefix(redis_url: str) -> Iterator[str]:
    """A views key prefix for one real items process (`VIEWS_KEY_PREFIX`), cleared after."""
    keys = ViewKeys(f"items-e2e-{secrets.token_hex(4)}:views")
    yield keys.prefix
    with redis.Redis.from_url(redis_url) as client:
        client.delete(keys.pending, keys.flushing)


class ItemFactory(Protocol):
    def __call__(
        self, owner: Owner, title: str = ..., **fields: Any
    ) -> Awaitable[dict[str, Any]]: ...


@pytest.fixture
def item_factory(client: httpx.AsyncClient, api: str) -> ItemFactory:
    """`await item_factory(owner, title=..., description=...)`: an item made through the
    API of the current mode; returns its JSON."""

    async def create(owner: Owner, title: str = "Brass Lantern", **fields: Any) -> dict[str, Any]:
        body = {"title": title, **fields}
        created = await client.post(f"{api}/items", json=body, headers=owner.headers)
        assert created.status_code == 201, created.text
        item: dict[str, Any] = created.json()
        return item

    return create


@pytest.fixture
def write_sql(transaction: Transaction, api: str) -> Callable[[str], Awaitable[None]]:
    """`await write_sql("UPDATE ...")`: a write inside the mode's transaction, which `sql`
    (reads only) then sees."""

    async def execute(statement: str) -> None:
        if api == MODES["async"]:
            await transaction.async_connection.execute(text(statement))
        else:
            await asyncio.to_thread(transaction.sync_connection.execute, text(statement))

    return execute


@pytest.fixture
def store_views(
    write_sql: Callable[[str], Awaitable[None]],
) -> Callable[[int, int], Awaitable[None]]:
    """`await store_views(item_id, n)`: sets the stored `views` column, as a flush would."""

    async def store(item_id: int, views: int) -> None:
        await write_sql(f"UPDATE items SET views = {int(views)} WHERE id = {int(item_id)}")  # noqa: S608

    return store


class ViewCounts:
    """The app's unflushed views in Redis, read and written as the flush job would."""

    def __init__(self, client: redis.Redis, counter: ViewCounter) -> None:
        self._client = client
        self.counter = counter

    def pending(self, item_id: int | str) -> int | None:
        value = self._client.hget(self.counter.keys.pending, str(item_id))
        return None if value is None else int(value)

    def set_flushing(self, item_id: int, views: int) -> None:
        self._client.hset(self.counter.keys.flushing, str(item_id), views)

    def clear(self) -> None:
        self._client.delete(self.counter.keys.pending, self.counter.keys.flushing)


@pytest.fixture
def view_counts(app: FastAPI, redis_url: str) -> Iterator[ViewCounts]:
    with redis.Redis.from_url(redis_url) as client:
        counts = ViewCounts(client, app.state.service.resources.views)
        counts.clear()
        yield counts
        counts.clear()


@pytest.fixture
def count_items(sql: Sql) -> Callable[[], Awaitable[int]]:
    return lambda: sql("SELECT count(*) FROM items")


@pytest.fixture
def stored_item(sql: Sql) -> Callable[[int], Awaitable[dict[str, object] | None]]:
    """`await stored_item(id)`: the row's title, description, views and owner, or None."""

    async def read(item_id: int) -> dict[str, object] | None:
        # The id is an int the test got from the service: nothing to inject.
        where = f"FROM items WHERE id = {int(item_id)}"
        if not await sql(f"SELECT count(*) {where}"):
            return None
        columns = ("owner_id", "title", "description", "views")
        return {column: await sql(f"SELECT {column} {where}") for column in columns}

    return read


@pytest.fixture
async def unknown_item_id(sql: Sql) -> int:
    # Far beyond the last id: rolled-back tests used ids the table no longer shows.
    return int(await sql("SELECT coalesce(max(id), 0) FROM items")) + 1_000_000_000
