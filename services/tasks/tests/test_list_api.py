"""Listing the caller's tasks: keyset pages by id, the done filter, and cursors that only
work for the listing they were made for. Both modes, both databases; cursors refused
before any SQL runs, on Postgres alone (`before_any_sql`)."""

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from servicekit.web.pagination import MAX_CURSOR_CHARS
from testkit.backends import before_any_sql
from testkit.bad_input import NOT_CURSORS, b64
from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import TaskFactory

if TYPE_CHECKING:
    from .conftest import Stored, TaskFactory

FILTERS = {"all": {}, "done": {"done": "true"}, "open": {"done": "false"}}


def cursor_of(position: dict[str, Any]) -> str:
    """A cursor made the way the service makes them, to forge well-formed ones."""
    raw = json.dumps({"l": "tasks"} | position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def get_page(
    client: httpx.AsyncClient, api: str, owner: Owner, params: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(f"{api}/tasks", params=params, headers=owner.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert list(page) == ["items", "next_cursor"]
    assert len(page["items"]) <= params.get("limit", 50)
    return page


async def walk(
    client: httpx.AsyncClient, api: str, owner: Owner, params: dict[str, Any], max_pages: int
) -> tuple[list[dict[str, Any]], int]:
    """Every page until next_cursor is null: (items, pages); a cursor that never ends fails."""
    items: list[dict[str, Any]] = []
    cursor = None
    for pages in range(1, max_pages + 1):
        page = await get_page(client, api, owner, params | ({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
    pytest.fail(f"next_cursor still set after {max_pages} pages")


async def make_mixed_tasks(
    task_factory: "TaskFactory", me: Owner, other: Owner
) -> dict[str, list[dict[str, Any]]]:
    """Seven tasks of `me`, three done, interleaved with tasks of `other`."""
    mine = []
    for n in range(7):
        mine.append(await task_factory(me, title=f"Mine {n}", done=n % 3 == 0))
        await task_factory(other, title=f"Other's {n}", done=n % 2 == 0)
    return {
        "all": mine,
        "done": [task for task in mine if task["done"]],
        "open": [task for task in mine if not task["done"]],
    }


@pytest.mark.parametrize("which", FILTERS)
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
async def test_pages_yield_each_of_the_callers_tasks_once_in_id_order(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    which: str,
    limit: int,
) -> None:
    me, other = owner_factory(), owner_factory()
    expected = (await make_mixed_tasks(task_factory, me, other))[which]

    items, pages = await walk(client, api, me, FILTERS[which] | {"limit": limit}, max_pages=10)

    assert items == expected
    assert pages == max(1, -(-len(expected) // limit))


async def test_no_tasks_is_an_empty_page(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    await task_factory(owner_factory())

    for params in FILTERS.values():
        assert await get_page(client, api, owner_factory(), params) == {
            "items": [],
            "next_cursor": None,
        }


async def test_list_shows_the_same_tasks_as_get(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, title="Renew the passport", due_date="2027-01-15", done=True)

    page = await get_page(client, api, me, {})

    assert page["items"] == [task]


async def test_default_limit_is_50(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    for n in range(51):
        await task_factory(me, title=f"Task {n}")

    page = await get_page(client, api, me, {})

    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


async def test_limit_100_gives_up_to_100(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    for n in range(101):
        await task_factory(me, title=f"Task {n}")

    first = await get_page(client, api, me, {"limit": 100})
    rest = await get_page(client, api, me, {"limit": 100, "cursor": first["next_cursor"]})

    assert len(first["items"]) == 100
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


async def test_tasks_created_between_pages_show_up_later(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    early = [await task_factory(me, title=f"Early {n}") for n in range(3)]
    first = await get_page(client, api, me, {"limit": 2})

    late = [await task_factory(me, title=f"Late {n}") for n in range(2)]
    rest, _ = await walk(client, api, me, {"limit": 2, "cursor": first["next_cursor"]}, 10)

    assert first["items"] + rest == early + late


async def test_tasks_changed_between_pages_are_neither_repeated_nor_skipped(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    tasks = [await task_factory(me, title=f"Task {n}") for n in range(6)]
    first = await get_page(client, api, me, {"done": "false", "limit": 2})

    # The cursor's task is deleted, and a task of the next page is marked done.
    await client.delete(f"{api}/tasks/{tasks[1]['id']}", headers=me.headers)
    await client.put(f"{api}/tasks/{tasks[2]['id']}/done", headers=me.headers)
    rest, _ = await walk(
        client, api, me, {"done": "false", "limit": 2, "cursor": first["next_cursor"]}, 10
    )

    assert [task["id"] for task in first["items"] + rest] == [
        task["id"] for task in tasks if task is not tasks[2]
    ]


# Every way a filter can differ: servicekit's test_cursors. Here, that the listing
# declares its filter: left out, added, changed.
@before_any_sql
@pytest.mark.parametrize(
    ("made_for", "used_with"),
    [("all", "done"), ("done", "all"), ("done", "open")],
)
async def test_a_cursor_works_only_for_its_own_filter(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    made_for: str,
    used_with: str,
) -> None:
    me = owner_factory()
    await make_mixed_tasks(task_factory, me, owner_factory())
    page = await get_page(client, api, me, FILTERS[made_for] | {"limit": 1})
    assert page["next_cursor"] is not None
    before = await stored.fingerprint()

    response = await client.get(
        f"{api}/tasks",
        params=FILTERS[used_with] | {"limit": 1, "cursor": page["next_cursor"]},
        headers=me.headers,
    )

    body = assert_problem(response, 422)
    assert body["title"] == "Invalid cursor"
    assert await stored.fingerprint() == before


# Every way a cursor is refused: servicekit's test_cursors and test_pagination. Here,
# that the listing decodes its cursors: one of each kind of refusal.
MALFORMED_CURSORS = {
    "base64-of-json-list": NOT_CURSORS["base64-of-json-list"],
    "jobs-cursor": b64(b'{"l":"jobs","b":5}'),
    "id-over-bigint": cursor_of({"done": None, "i": 2**63}),
    "done-as-int": cursor_of({"done": 1, "i": 1}),
    "over-the-length-limit": "A" * (MAX_CURSOR_CHARS + 1),
}


@before_any_sql
@pytest.mark.parametrize("cursor", MALFORMED_CURSORS.values(), ids=MALFORMED_CURSORS.keys())
async def test_malformed_cursor_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    cursor: str,
) -> None:
    me = owner_factory()
    await task_factory(me)
    before = await stored.fingerprint()

    response = await client.get(f"{api}/tasks", params={"cursor": cursor}, headers=me.headers)

    assert_problem(response, 422)
    assert await stored.fingerprint() == before


async def test_a_well_formed_cursor_is_only_a_position(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    """A cursor names an id to start after, never whose tasks: the caller's, always."""
    me, other = owner_factory(), owner_factory()
    mine = [await task_factory(me, title=f"Mine {n}") for n in range(3)]
    others = [await task_factory(other, title=f"Other's {n}") for n in range(3)]

    cursor = cursor_of({"done": None, "i": mine[0]["id"]})
    page = await get_page(client, api, other, {"cursor": cursor})

    assert page["items"] == others
