"""View counts: a read counts in Redis and answers stored + pending + in-flight views;
lists show the stored column; a Redis outage loses the view, never the read.

Every test runs under /api and /sync/api against PostgreSQL and MariaDB, with Redis keys
of the app's own (see conftest)."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis
import redis.asyncio
from fastapi import FastAPI

from devstack.ports import free_port
from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import ItemFactory, ViewCounts


async def read_views(client: httpx.AsyncClient, api: str, item_id: int) -> int:
    response = await client.get(f"{api}/items/{item_id}")
    assert response.status_code == 200, response.text
    views: int = response.json()["views"]
    return views


async def test_two_reads_add_two_views_to_the_stored_count(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    store_views: Callable[[int, int], Awaitable[None]],
    view_counts: "ViewCounts",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
) -> None:
    item = await item_factory(owner)
    await store_views(item["id"], 40)

    assert await read_views(client, api, item["id"]) == 41
    assert await read_views(client, api, item["id"]) == 42

    assert view_counts.pending(item["id"]) == 2
    # The database is the flush job's to write: reads leave the column alone.
    row = await stored_item(item["id"])
    assert row is not None
    assert row["views"] == 40


async def test_views_are_counted_per_item(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    view_counts: "ViewCounts",
) -> None:
    first, second = await item_factory(owner), await item_factory(owner)

    await read_views(client, api, first["id"])
    await read_views(client, api, first["id"])
    views = await read_views(client, api, second["id"])

    assert views == 1
    assert (view_counts.pending(first["id"]), view_counts.pending(second["id"])) == (2, 1)


async def test_in_flight_views_are_included(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    store_views: Callable[[int, int], Awaitable[None]],
    view_counts: "ViewCounts",
) -> None:
    item = await item_factory(owner)
    await store_views(item["id"], 100)
    # A flush has renamed the pending hash and not yet written these 5 to the database.
    view_counts.set_flushing(item["id"], 5)

    assert await read_views(client, api, item["id"]) == 100 + 1 + 5
    assert await read_views(client, api, item["id"]) == 100 + 2 + 5


async def test_a_missing_item_counts_nothing(
    client: httpx.AsyncClient,
    api: str,
    unknown_item_id: int,
    view_counts: "ViewCounts",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    response = await client.get(f"{api}/items/{unknown_item_id}")

    assert_problem(response, 404)
    assert view_counts.pending(unknown_item_id) is None


async def test_a_deleted_item_counts_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    view_counts: "ViewCounts",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner)
    await read_views(client, api, item["id"])
    deleted = await client.delete(f"{api}/items/{item['id']}", headers=owner.headers)
    assert deleted.status_code == 204

    assert_problem(await client.get(f"{api}/items/{item['id']}"), 404)
    assert view_counts.pending(item["id"]) == 1


async def test_list_pages_show_the_stored_count_and_count_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    store_views: Callable[[int, int], Awaitable[None]],
    view_counts: "ViewCounts",
) -> None:
    item = await item_factory(owner)
    await store_views(item["id"], 7)
    await read_views(client, api, item["id"])

    page = await client.get(f"{api}/items", params={"owner_id": owner.id})

    assert page.status_code == 200, page.text
    assert [listed["views"] for listed in page.json()["items"]] == [7]
    assert view_counts.pending(item["id"]) == 1


# --- Redis down -----------------------------------------------------------------------


@pytest.fixture
async def redis_down(app: FastAPI) -> AsyncIterator[None]:
    """The app's Redis clients pointed at a port nobody listens on, for one test."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    # Not monkeypatch: it cannot restore attributes of Starlette's State.
    live = app.state.service.redis, app.state.service.sync_redis
    app.state.service.redis = redis.asyncio.Redis.from_url(
        url, socket_timeout=1, socket_connect_timeout=1
    )
    app.state.service.sync_redis = redis.Redis.from_url(
        url, socket_timeout=1, socket_connect_timeout=1
    )
    try:
        yield
    finally:
        await app.state.service.redis.aclose()
        app.state.service.sync_redis.close()
        app.state.service.redis, app.state.service.sync_redis = live


async def test_with_redis_down_a_read_answers_the_stored_count_and_logs_the_lost_view(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    store_views: Callable[[int, int], Awaitable[None]],
    redis_down: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = await item_factory(owner, title="Kettle")
    await store_views(item["id"], 12)
    caplog.set_level(logging.WARNING, logger="items_service.views")

    response = await client.get(f"{api}/items/{item['id']}")

    assert response.status_code == 200, response.text
    assert response.json() == item | {"views": 12}
    lost = [r.getMessage() for r in caplog.records if r.name == "items_service.views"]
    assert len(lost) == 1
    assert lost[0].startswith(f"view of item {item['id']} not counted: ")


async def test_with_redis_down_a_missing_item_is_still_404(
    client: httpx.AsyncClient,
    api: str,
    unknown_item_id: int,
    redis_down: None,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await client.get(f"{api}/items/{unknown_item_id}")

    assert_problem(response, 404)
    assert "not counted" not in caplog.text
