"""The flush of view counts, step by step, on Postgres and MariaDB items databases.

A crash between two steps is the state the earlier steps leave behind: the tests make
that state with the job's own functions, then run a whole flush as a restarted worker
would.
"""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import redis
from sqlalchemy import text

from servicecontracts.view_counts import ViewKeys
from servicekit.db.models import utcnow
from worker_service.jobs import views
from worker_service.resources import Resources
from worker_service.settings import WorkerSettings

if TYPE_CHECKING:
    from .conftest import MakeItem

RETENTION = timedelta(days=7)


@pytest.fixture
def resources(
    items_database_url: str,
    broker_url: str,
    views_key_prefix: str,
    worker_settings: Callable[..., WorkerSettings],
) -> Iterator[Resources]:
    settings = worker_settings(
        items_database_url=items_database_url,
        redis_url=broker_url,
        views_key_prefix=views_key_prefix,
    )
    made = Resources(settings)
    yield made
    made.close()


@pytest.fixture
def keys(views_key_prefix: str) -> ViewKeys:
    return ViewKeys(views_key_prefix)


def count_views(client: redis.Redis, keys: ViewKeys, item_id: int, times: int) -> None:
    """What items does on each read of the item."""
    for _ in range(times):
        client.hincrby(keys.pending, str(item_id), 1)


def flush(resources: Resources, keys: ViewKeys) -> dict[str, int]:
    return views.flush_item_views(resources.redis, resources.items_engine, keys, RETENTION)


def assert_no_keys_left(client: redis.Redis, keys: ViewKeys) -> None:
    assert client.exists(keys.pending, keys.flushing, keys.flush_id) == 0


def test_counted_views_reach_the_table_exactly(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    first, second, untouched = make_item(views=5), make_item(), make_item(views=2)
    count_views(resources.redis, keys, first, 3)
    count_views(resources.redis, keys, second, 7)

    result = flush(resources, keys)

    assert result["flushes"] == 1
    assert (result["items"], result["views"]) == (2, 10)
    assert (stored_views(first), stored_views(second), stored_views(untouched)) == (8, 7, 2)
    assert_no_keys_left(resources.redis, keys)
    assert flush(resources, keys)["flushes"] == 0
    assert stored_views(first) == 8


def test_views_of_deleted_items_are_dropped(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item()
    count_views(resources.redis, keys, item, 2)
    count_views(resources.redis, keys, item + 1_000_000_000, 4)

    flush(resources, keys)

    assert stored_views(item) == 2
    assert_no_keys_left(resources.redis, keys)


def test_views_counted_during_a_flush_wait_for_the_next(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item()
    count_views(resources.redis, keys, item, 2)
    claimed = views.claim(resources.redis, keys)
    assert claimed is not None
    count_views(resources.redis, keys, item, 5)  # a read while the flush runs

    assert views.apply(resources.items_engine, claimed)
    views.release(resources.redis, keys, claimed.flush_id)

    assert stored_views(item) == 2
    pending = resources.redis.hget(keys.pending, str(item))
    assert pending is not None
    assert int(pending) == 5
    flush(resources, keys)
    assert stored_views(item) == 7


def test_crash_after_claim_is_applied_once_by_the_next_flush(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item(views=1)
    count_views(resources.redis, keys, item, 4)
    dead = views.claim(resources.redis, keys)  # the worker died here, before the commit
    assert dead is not None
    count_views(resources.redis, keys, item, 2)  # reads go on meanwhile

    result = flush(resources, keys)

    # The dead flush's hash under its own id, then the newer counts.
    assert result["flushes"] == 2
    assert stored_views(item) == 7
    assert_no_keys_left(resources.redis, keys)
    assert resources.redis.get(keys.flush_id) is None
    with resources.items_engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM view_flushes")).scalars().all()
    assert dead.flush_id in ids


def test_crash_after_commit_adds_nothing_and_cleans_up(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item()
    count_views(resources.redis, keys, item, 4)
    dead = views.claim(resources.redis, keys)
    assert dead is not None
    assert views.apply(resources.items_engine, dead)  # committed; died before release

    result = flush(resources, keys)

    assert result["flushes"] == 0
    assert stored_views(item) == 4
    assert_no_keys_left(resources.redis, keys)


def test_a_flush_id_is_applied_at_most_once(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item()
    count_views(resources.redis, keys, item, 3)
    claimed = views.claim(resources.redis, keys)
    assert claimed is not None

    assert views.apply(resources.items_engine, claimed)
    assert not views.apply(resources.items_engine, claimed)
    assert stored_views(item) == 3


def test_a_stale_release_keeps_a_newer_flush(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item()
    count_views(resources.redis, keys, item, 1)
    old = views.claim(resources.redis, keys)
    assert old is not None
    views.apply(resources.items_engine, old)
    views.release(resources.redis, keys, old.flush_id)
    count_views(resources.redis, keys, item, 2)
    new = views.claim(resources.redis, keys)
    assert new is not None

    views.release(resources.redis, keys, old.flush_id)  # a late duplicate of the old flush

    flush_id = resources.redis.get(keys.flush_id)
    assert isinstance(flush_id, bytes)
    assert flush_id.decode() == new.flush_id
    flush(resources, keys)
    assert stored_views(item) == 3


def test_nothing_to_flush_is_a_no_op(resources: Resources, keys: ViewKeys) -> None:
    assert views.claim(resources.redis, keys) is None
    assert flush(resources, keys)["flushes"] == 0


def test_junk_in_the_hash_is_dropped(
    resources: Resources,
    keys: ViewKeys,
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item()
    count_views(resources.redis, keys, item, 2)
    resources.redis.hset(keys.pending, "not-an-id", "9")

    flush(resources, keys)

    assert stored_views(item) == 2
    assert_no_keys_left(resources.redis, keys)


def test_old_flush_ids_are_pruned(resources: Resources, keys: ViewKeys) -> None:
    old, recent = views.Claim("old-" + keys.prefix, {}), views.Claim("new-" + keys.prefix, {})
    views.apply(resources.items_engine, old, now=utcnow() - RETENTION - timedelta(hours=1))
    views.apply(resources.items_engine, recent, now=utcnow() - RETENTION + timedelta(hours=1))

    assert flush(resources, keys)["pruned"] >= 1

    with resources.items_engine.connect() as connection:
        ids = set(connection.execute(text("SELECT id FROM view_flushes")).scalars())
    assert old.flush_id not in ids
    assert recent.flush_id in ids
