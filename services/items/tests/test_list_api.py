"""Listing items: keyset pages, the owner and title filters, and cursors bound to them.

Every test runs under /api and /sync/api against PostgreSQL and MariaDB, but for cursors
refused before any SQL runs, on Postgres alone (`before_any_sql`)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from servicekit.web.cursors import encode_cursor
from testkit.backends import before_any_sql
from testkit.bad_input import NOT_CURSORS
from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import ItemFactory


def unique_prefix() -> str:
    # Letters only: every collation orders titles that differ after it the same way.
    return "Zq" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:10])


async def get_page(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], cursor: str | None = None
) -> dict[str, Any]:
    response = await client.get(url, params=params | ({"cursor": cursor} if cursor else {}))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"items", "next_cursor"}
    assert len(page["items"]) <= params.get("limit", 50)
    return page


async def walk(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], max_pages: int
) -> list[dict[str, Any]]:
    """Follows next_cursor until null; a cursor that never ends fails the test."""
    items, cursor = [], None
    for _ in range(max_pages):
        page = await get_page(client, url, params, cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    pytest.fail(f"next_cursor still set after {max_pages} pages")


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


# --- all items ------------------------------------------------------------------------


async def test_list_needs_no_token_and_shows_items_as_read(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    created = await item_factory(owner, title="Kettle", description="Whistles.")

    items = await walk(client, f"{api}/items", {"limit": 100}, max_pages=1000)

    assert next(item for item in items if item["id"] == created["id"]) == created


async def test_list_pages_yield_every_item_once_in_id_order(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
    count_items: Callable[[], Awaitable[int]],
) -> None:
    for n in range(7):
        await item_factory(owner_factory(), title=f"Page Item {n}")
    total = await count_items()

    items = await walk(client, f"{api}/items", {"limit": 2}, max_pages=total // 2 + 2)

    assert len(items) == len(set(ids(items))) == total
    assert ids(items) == sorted(ids(items))


async def test_list_picks_up_items_created_between_pages(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    count_items: Callable[[], Awaitable[int]],
) -> None:
    for n in range(4):
        await item_factory(owner, title=f"Early {n}")
    params = {"limit": 2}
    page = await get_page(client, f"{api}/items", params)
    seen = ids(page["items"])

    later = [await item_factory(owner, title=f"Late {n}") for n in range(3)]
    cursor = page["next_cursor"]
    for _ in range(await count_items()):
        if cursor is None:
            break
        page = await get_page(client, f"{api}/items", params, cursor)
        seen += ids(page["items"])
        cursor = page["next_cursor"]

    assert cursor is None
    assert len(seen) == len(set(seen)) == await count_items()
    assert seen[-3:] == ids(later)


async def test_list_default_limit_is_50(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    count_items: Callable[[], Awaitable[int]],
) -> None:
    for n in range(max(0, 51 - await count_items())):
        await item_factory(owner, title=f"Bulk {n}")

    page = await get_page(client, f"{api}/items", {})

    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("limit", [1, 100])
async def test_list_accepts_limit_bounds(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory", limit: int
) -> None:
    await item_factory(owner)
    await item_factory(owner)

    page = await get_page(client, f"{api}/items", {"limit": limit})

    assert 1 <= len(page["items"]) <= limit
    if limit == 1:
        assert page["next_cursor"] is not None


async def test_last_page_has_no_cursor(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    created = [await item_factory(owner) for _ in range(3)]

    page = await get_page(client, f"{api}/items", {"owner_id": owner.id, "limit": 3})

    assert ids(page["items"]) == ids(created)
    assert page["next_cursor"] is None


# --- by owner -------------------------------------------------------------------------


async def test_owner_filter_yields_exactly_that_owners_items(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
) -> None:
    mine, other = owner_factory(), owner_factory()
    wanted = []
    for n in range(5):
        wanted.append(await item_factory(mine, title=f"Mine {n}"))
        await item_factory(other, title=f"Other {n}")

    items = await walk(client, f"{api}/items", {"owner_id": mine.id, "limit": 2}, max_pages=5)

    assert ids(items) == ids(wanted)
    assert {item["owner_id"] for item in items} == {mine.id}


async def test_owner_without_items_has_an_empty_page(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner]
) -> None:
    page = await get_page(client, f"{api}/items", {"owner_id": owner_factory().id})

    assert page == {"items": [], "next_cursor": None}


# --- by title prefix ------------------------------------------------------------------


@pytest.mark.parametrize("q", ["lan", "LAN", "lAn"])
async def test_search_is_a_case_insensitive_title_prefix_match(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    count_items: Callable[[], Awaitable[int]],
    q: str,
) -> None:
    matching = [
        await item_factory(owner, title="Lantern"),
        await item_factory(owner, title="LANDING GEAR"),
    ]
    others = [
        await item_factory(owner, title="Brass Lantern"),
        await item_factory(owner, title="Slant"),
        await item_factory(owner, title="La Noche"),
    ]

    found = await walk(
        client, f"{api}/items", {"q": q, "limit": 100}, max_pages=await count_items() + 2
    )

    assert set(ids(matching)) <= set(ids(found))
    assert not set(ids(others)) & set(ids(found))
    assert all(item["title"].lower().startswith("lan") for item in found)


@pytest.mark.parametrize(
    ("q", "matching", "other"),
    [
        ("%", "%Percent Pot", "Plain Pot"),
        ("a_", "a_b Under", "ab Under"),
        ("_", "_Under Score", "Under Score"),
        ("50%", "50% Off Kettle", "500 Off Kettle"),
        ("\\", "\\Back Slash", "%Back Slash"),
        ("/", "/Slash Pot", "Slash Pot"),
    ],
    ids=["percent", "underscore-after-letter", "underscore", "percent-after-digits",
         "backslash", "slash"],
)  # fmt: skip
@pytest.mark.parametrize("with_owner", [False, True], ids=["all", "one-owner"])
async def test_search_takes_like_wildcards_literally(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    count_items: Callable[[], Awaitable[int]],
    q: str,
    matching: str,
    other: str,
    with_owner: bool,
) -> None:
    wanted = await item_factory(owner, title=matching)
    unwanted = await item_factory(owner, title=other)
    params = {"q": q, "limit": 100} | ({"owner_id": owner.id} if with_owner else {})

    found = await walk(client, f"{api}/items", params, max_pages=await count_items() + 2)

    assert wanted["id"] in ids(found)
    assert unwanted["id"] not in ids(found)
    assert all(item["title"].lower().startswith(q.lower()) for item in found)


async def test_search_orders_by_lowercased_title_then_id_across_pages(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
) -> None:
    prefix = unique_prefix()
    titles = [
        f"{prefix} delta",
        f"{prefix} Alpha",
        f"{prefix.upper()} charlie",
        f"{prefix.lower()} ALPHA",
        f"{prefix} bravo",
        f"{prefix} Echo",
    ]
    created = [await item_factory(owner_factory(), title=title) for title in titles]
    expected = sorted(created, key=lambda item: (item["title"].lower(), item["id"]))

    found = await walk(client, f"{api}/items", {"q": prefix.lower(), "limit": 2}, max_pages=10)

    assert ids(found) == ids(expected)


async def test_search_accepts_q_of_200_chars(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    created = await item_factory(owner, title="q" * 200)

    page = await get_page(client, f"{api}/items", {"q": "q" * 200, "limit": 100})

    assert created["id"] in ids(page["items"])


@pytest.mark.parametrize("with_owner", [False, True], ids=["all", "one-owner"])
async def test_search_pages_through_the_longest_titles(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory", with_owner: bool
) -> None:
    # 200 four-byte characters: the longest title key a cursor has to carry.
    title = "🚲" * 200
    created = [await item_factory(owner, title=title) for _ in range(3)]
    params = {"q": title, "limit": 1} | ({"owner_id": owner.id} if with_owner else {})

    found = await walk(client, f"{api}/items", params, max_pages=5)

    assert ids(found) == ids(created)


# --- both filters ---------------------------------------------------------------------


async def test_owner_and_title_filters_together_in_id_order(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
) -> None:
    prefix = unique_prefix()
    mine, other = owner_factory(), owner_factory()
    wanted = []
    for n, suffix in enumerate(["zulu", "alpha", "mike", "bravo", "echo"]):
        wanted.append(await item_factory(mine, title=f"{prefix} {suffix}"))
        await item_factory(mine, title=f"Other {prefix} {n}")
        await item_factory(other, title=f"{prefix} {suffix}")

    params = {"owner_id": mine.id, "q": prefix.upper(), "limit": 2}
    found = await walk(client, f"{api}/items", params, max_pages=5)

    assert ids(found) == ids(wanted)


# --- cursors --------------------------------------------------------------------------


# Every way filters can differ: servicekit's test_cursors. Here, that the listings
# declare both filters: each one added, left out or changed once.
@before_any_sql
@pytest.mark.parametrize(
    ("made_for", "used_with"),
    [
        ("plain", "q"),
        ("q", "other-q"),
        ("owner", "other-owner"),
        ("owner-q", "owner"),
    ],
)
async def test_cursor_is_bound_to_its_filters(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    made_for: str,
    used_with: str,
) -> None:
    first, second = unique_prefix(), unique_prefix()
    mine, other = owner_factory(), owner_factory()
    for prefix in (first, second):
        for who in (mine, other):
            for n in ("one", "two", "three"):
                await item_factory(who, title=f"{prefix} {n}")
    filters: dict[str, dict[str, Any]] = {
        "plain": {},
        "q": {"q": first},
        "other-q": {"q": second},
        "owner": {"owner_id": mine.id},
        "other-owner": {"owner_id": other.id},
        "owner-q": {"owner_id": mine.id, "q": first},
        "other-owner-q": {"owner_id": other.id, "q": first},
        "owner-other-q": {"owner_id": mine.id, "q": second},
    }
    page = await get_page(client, f"{api}/items", {"limit": 1} | filters[made_for])
    assert page["next_cursor"] is not None

    response = await client.get(
        f"{api}/items",
        params={"limit": 1, "cursor": page["next_cursor"]} | filters[used_with],
    )

    assert_problem(response, 422)


async def test_search_cursor_works_with_q_in_another_case(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    prefix = unique_prefix()
    created = [await item_factory(owner, title=f"{prefix} {n}") for n in range(3)]

    page = await get_page(client, f"{api}/items", {"q": prefix.lower(), "limit": 2})
    rest = await get_page(
        client, f"{api}/items", {"q": prefix.upper(), "limit": 2}, page["next_cursor"]
    )

    assert ids(page["items"] + rest["items"]) == ids(created)


# Every way a cursor is refused: servicekit's test_cursors and test_pagination. Here,
# that each listing decodes its cursors: one of each kind of refusal, with every filter.
MALFORMED_CURSORS = {
    "base64-of-json-list": NOT_CURSORS["base64-of-json-list"],
    "users-cursor": encode_cursor("users", {"i": 5}),
    "id-too-large": encode_cursor("items", {"i": 2**63}),
    "over-4096-chars": encode_cursor("items", {"i": 5, "pad": "x" * 4000}),
}


@before_any_sql
@pytest.mark.parametrize(
    "params", [{}, {"q": "kettle"}, {"owner_id": 1}, {"owner_id": 1, "q": "kettle"}],
    ids=["plain", "q", "owner", "owner-q"],
)  # fmt: skip
@pytest.mark.parametrize("cursor", MALFORMED_CURSORS.values(), ids=MALFORMED_CURSORS.keys())
async def test_list_rejects_malformed_cursor(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    cursor: str,
    params: dict[str, Any],
) -> None:
    response = await client.get(f"{api}/items", params=params | {"cursor": cursor})

    assert_problem(response, 422)


@before_any_sql
@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor("items", {"q": "kettle", "k": 5, "i": 5}),
        encode_cursor("items", {"q": "kettle", "k": "kettle\x00", "i": 5}),
        encode_cursor("items", {"q": "other", "k": "kettle", "i": 5}),
    ],
    ids=["key-int", "key-with-nul", "other-q"],
)
async def test_search_rejects_malformed_cursor(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    cursor: str,
) -> None:
    response = await client.get(f"{api}/items", params={"q": "kettle", "cursor": cursor})

    assert_problem(response, 422)
