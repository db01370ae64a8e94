"""The items resource over HTTP: create, read, update, delete, health.

Every test runs under /api and /sync/api against PostgreSQL and MariaDB: one contract.
Views are test_views.py's subject, lists test_list_api.py's, bad input test_bad_input.py's.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import ItemFactory, ViewCounts

MAX_ID = 2**63 - 1
ITEM_FIELDS = {"id", "owner_id", "title", "description", "views", "created_at", "updated_at"}


def assert_item(item: dict[str, Any]) -> None:
    assert set(item) == ITEM_FIELDS
    for field in ("id", "owner_id", "views"):
        assert type(item[field]) is int
    for field in ("created_at", "updated_at"):
        offset = datetime.fromisoformat(item[field]).utcoffset()
        assert offset is not None
        assert offset.total_seconds() == 0


def when(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


# --- create ---------------------------------------------------------------------------


async def test_create_item_returns_it_with_location(
    client: httpx.AsyncClient, api: str, owner: Owner
) -> None:
    response = await client.post(
        f"{api}/items",
        json={"title": "Brass Lantern", "description": "Works as it should."},
        headers=owner.headers,
    )

    assert response.status_code == 201, response.text
    item = response.json()
    assert_item(item)
    assert item["owner_id"] == owner.id
    assert item["title"] == "Brass Lantern"
    assert item["description"] == "Works as it should."
    assert item["views"] == 0
    assert item["created_at"] == item["updated_at"]
    location = httpx.URL(response.headers["location"])
    assert location.path == f"{api}/items/{item['id']}"

    fetched = await client.get(location.path)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() | {"views": 0} == item


async def test_create_item_is_stored_for_the_token_subject(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
) -> None:
    item = (
        await client.post(f"{api}/items", json={"title": "Kettle"}, headers=owner.headers)
    ).json()

    assert await stored_item(item["id"]) == {
        "owner_id": owner.id,
        "title": "Kettle",
        "description": None,
        "views": 0,
    }


async def test_owner_id_in_the_body_is_refused_not_obeyed(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    owner_factory: Callable[[], Owner],
    count_items: Callable[[], Awaitable[int]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
) -> None:
    other = owner_factory()
    before = await count_items()

    response = await client.post(
        f"{api}/items", json={"title": "Kettle", "owner_id": other.id}, headers=owner.headers
    )

    assert_invalid(response)
    assert await count_items() == before


async def test_create_item_without_description_has_null_description(
    item_factory: "ItemFactory", owner: Owner
) -> None:
    item = await item_factory(owner)

    assert item["description"] is None


async def test_create_item_strips_the_title_but_not_the_description(
    item_factory: "ItemFactory", owner: Owner
) -> None:
    item = await item_factory(owner, title="  Brass Lantern \t", description="  as is  ")

    assert item["title"] == "Brass Lantern"
    assert item["description"] == "  as is  "


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"title": "A"}, id="title-1-char"),
        pytest.param({"title": "t" * 200}, id="title-200-chars"),
        pytest.param({"title": "  " + "t" * 196 + "  "}, id="title-200-chars-as-sent-stripped"),
        pytest.param({"title": "Ünïcödé ✓ 漢字 🚲"}, id="title-unicode"),
        pytest.param({"description": ""}, id="description-empty"),
        pytest.param({"description": "d" * 2000}, id="description-2000-chars"),
        pytest.param({"description": "漢" * 2000}, id="description-2000-wide-chars"),
        pytest.param({"description": None}, id="description-null"),
        pytest.param({"description": "One.\n\tTwo.\r\n"}, id="description-multi-line"),
    ],
)
async def test_create_item_accepts_boundary_values(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    fields: dict[str, Any],
) -> None:
    body = {"title": "Kettle"} | fields

    response = await client.post(f"{api}/items", json=body, headers=owner.headers)

    assert response.status_code == 201, response.text
    item = response.json()
    stored = await stored_item(item["id"])
    assert stored is not None
    assert stored["title"] == item["title"] == body["title"].strip()
    assert stored["description"] == item["description"] == body.get("description")


# --- read -----------------------------------------------------------------------------


async def test_get_item_needs_no_token(
    client: httpx.AsyncClient, api: str, item_factory: "ItemFactory", owner: Owner
) -> None:
    created = await item_factory(owner, title="Kettle", description="Whistles.")

    response = await client.get(f"{api}/items/{created['id']}")

    assert response.status_code == 200, response.text
    item = response.json()
    assert_item(item)
    assert item == created | {"views": 1}


async def test_get_unknown_item_is_404(
    client: httpx.AsyncClient,
    api: str,
    unknown_item_id: int,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    response = await client.get(f"{api}/items/{unknown_item_id}")

    body = assert_problem(response, 404)
    assert body["title"] == "Item not found"


async def test_get_largest_valid_id_is_404_not_an_error(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    assert_problem(await client.get(f"{api}/items/{MAX_ID}"), 404)


# --- update ---------------------------------------------------------------------------


async def test_patch_title_changes_only_the_title(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
) -> None:
    item = await item_factory(owner, title="Kettle", description="Whistles.")

    response = await client.patch(
        f"{api}/items/{item['id']}", json={"title": "  Copper Kettle "}, headers=owner.headers
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert_item(patched)
    assert patched["title"] == "Copper Kettle"
    assert patched["description"] == "Whistles."
    assert patched["created_at"] == item["created_at"]
    assert when(patched["updated_at"]) > when(item["updated_at"])
    row = await stored_item(item["id"])
    assert row is not None
    assert row["title"] == "Copper Kettle"


async def test_patch_description_changes_only_the_description(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    item = await item_factory(owner, title="Kettle", description="Whistles.")

    response = await client.patch(
        f"{api}/items/{item['id']}", json={"description": "Silent."}, headers=owner.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Kettle"
    assert response.json()["description"] == "Silent."


async def test_patch_description_null_clears_it(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
) -> None:
    item = await item_factory(owner, description="Whistles.")

    response = await client.patch(
        f"{api}/items/{item['id']}", json={"description": None}, headers=owner.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["description"] is None
    row = await stored_item(item["id"])
    assert row is not None
    assert row["description"] is None


async def test_patch_both_fields(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    item = await item_factory(owner, title="Kettle", description="Whistles.")

    response = await client.patch(
        f"{api}/items/{item['id']}",
        json={"title": "Teapot", "description": ""},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["description"]) == ("Teapot", "")


async def test_patch_with_empty_object_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
) -> None:
    item = await item_factory(owner, title="Kettle", description="Whistles.")
    before = await stored_item(item["id"])

    response = await client.patch(f"{api}/items/{item['id']}", json={}, headers=owner.headers)

    assert response.status_code == 200, response.text
    assert response.json() == item
    assert await stored_item(item["id"]) == before


async def test_patch_to_the_same_values_is_200(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    # MySQL reports 0 changed rows for this; the service must not take it for a 404.
    item = await item_factory(owner, title="Kettle", description="Whistles.")

    response = await client.patch(
        f"{api}/items/{item['id']}",
        json={"title": "Kettle", "description": "Whistles."},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text


async def test_patch_returns_the_stored_views(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    store_views: Callable[[int, int], Awaitable[None]],
    view_counts: "ViewCounts",
) -> None:
    item = await item_factory(owner)
    await store_views(item["id"], 7)
    await client.get(f"{api}/items/{item['id']}")

    response = await client.patch(
        f"{api}/items/{item['id']}", json={"title": "Renamed"}, headers=owner.headers
    )

    assert response.json()["views"] == 7


async def test_patch_another_owners_item_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner, title="Kettle", description="Whistles.")
    before = await stored_item(item["id"])
    intruder = owner_factory()

    response = await client.patch(
        f"{api}/items/{item['id']}",
        json={"title": "Hacked", "description": None},
        headers=intruder.headers,
    )

    body = assert_problem(response, 403)
    assert body["title"] == "Not your item"
    assert await stored_item(item["id"]) == before


async def test_patch_unknown_item_is_404(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    unknown_item_id: int,
    count_items: Callable[[], Awaitable[int]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    before = await count_items()

    response = await client.patch(
        f"{api}/items/{unknown_item_id}", json={"title": "Ghost"}, headers=owner.headers
    )

    assert_problem(response, 404)
    assert await count_items() == before


async def test_patch_without_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner, title="Kettle")

    response = await client.patch(f"{api}/items/{item['id']}", json={"title": "Hacked"})

    assert_problem(response, 401)
    row = await stored_item(item["id"])
    assert row is not None
    assert row["title"] == "Kettle"


# --- delete ---------------------------------------------------------------------------


async def test_delete_own_item(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner)
    bystander = await item_factory(owner)

    response = await client.delete(f"{api}/items/{item['id']}", headers=owner.headers)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert await stored_item(item["id"]) is None
    assert await stored_item(bystander["id"]) is not None
    assert_problem(await client.get(f"{api}/items/{item['id']}"), 404)
    again = await client.delete(f"{api}/items/{item['id']}", headers=owner.headers)
    assert_problem(again, 404)


async def test_delete_another_owners_item_is_403_and_keeps_it(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    owner_factory: Callable[[], Owner],
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner)
    before = await stored_item(item["id"])

    response = await client.delete(f"{api}/items/{item['id']}", headers=owner_factory().headers)

    assert_problem(response, 403)
    assert await stored_item(item["id"]) == before


async def test_delete_unknown_item_is_404(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    unknown_item_id: int,
    count_items: Callable[[], Awaitable[int]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    before = await count_items()

    response = await client.delete(f"{api}/items/{unknown_item_id}", headers=owner.headers)

    assert_problem(response, 404)
    assert await count_items() == before


async def test_delete_without_token_is_401_and_keeps_it(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner)

    assert_problem(await client.delete(f"{api}/items/{item['id']}"), 401)
    assert await stored_item(item["id"]) is not None


# --- expand=owner, with users down ----------------------------------------------------


async def test_expand_owner_with_users_down_is_a_fast_503_naming_users(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner)

    for path in (f"{api}/items/{item['id']}", f"{api}/items"):
        response = await client.get(path, params={"expand": "owner"})

        body = assert_problem(response, 503)
        assert body["title"] == "Dependency unavailable"
        assert "users" in body["detail"]
        assert response.headers["retry-after"]


async def test_expand_owner_of_an_empty_page_calls_nobody(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner]
) -> None:
    # users is down for in-process apps: a 200 means no call was made.
    response = await client.get(
        f"{api}/items", params={"expand": "owner", "owner_id": owner_factory().id}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


async def test_without_expand_there_is_no_owner_field_and_users_is_not_needed(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    item = await item_factory(owner)

    single = await client.get(f"{api}/items/{item['id']}")
    page = await client.get(f"{api}/items", params={"owner_id": owner.id})

    assert single.status_code == page.status_code == 200
    assert "owner" not in single.json()
    assert all("owner" not in listed for listed in page.json()["items"])


# --- health ---------------------------------------------------------------------------


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_database_and_redis_are_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
