"""One owner's item count and views, which the report job reads."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import ItemFactory


async def test_summary_counts_an_owners_items_and_stored_views(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
    write_sql: Callable[[str], Awaitable[None]],
) -> None:
    me, other = owner_factory(), owner_factory()
    empty = await client.get(f"{api}/items/summary", params={"owner_id": me.id})
    assert empty.json() == {"owner_id": me.id, "items": 0, "views": 0}
    first = await item_factory(me)
    await item_factory(me)
    await item_factory(other)
    await write_sql(f"UPDATE items SET views = 7 WHERE id = {int(first['id'])}")  # noqa: S608
    summary = await client.get(f"{api}/items/summary", params={"owner_id": me.id})
    assert summary.json() == {"owner_id": me.id, "items": 2, "views": 7}


async def test_summary_needs_a_valid_owner_id(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    for bad in ("0", "-1", "abc", str(2**63)):
        assert_problem(await client.get(f"{api}/items/summary", params={"owner_id": bad}), 422)
    assert_problem(await client.get(f"{api}/items/summary"), 422)
