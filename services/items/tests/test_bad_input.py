"""Bad input gets a clear 4xx problem and writes nothing: wrong types, missing, unknown,
empty and oversized fields, malformed and huge bodies, bad ids and query parameters,
and tokens that must not authenticate anybody.

All of it is refused before any SQL runs: under /api and /sync/api, on Postgres alone."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.backends import before_any_sql
from testkit.bad_input import A_FEW_BAD_IDS, ECHO, MAX_ID, NOT_JSON_OBJECTS, echoing_fields
from testkit.forgeries import A_FEW_FORGERIES
from testkit.keys import MintToken
from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import ItemFactory, ViewCounts

pytestmark = before_any_sql

MIB = 1024 * 1024
MISSING = object()


def valid_body(**changes: object) -> dict[str, Any]:
    body = {"title": "Brass Lantern", "description": "Works."} | changes
    return {key: value for key, value in body.items() if value is not MISSING}


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# --- create: invalid fields -----------------------------------------------------------

INVALID_CREATE = {
    "title-missing": {"title": MISSING},
    "title-null": {"title": None},
    "title-int": {"title": 5},
    "title-bool": {"title": True},
    "title-list": {"title": ["Lantern"]},
    "title-object": {"title": {"text": "Lantern"}},
    "title-empty": {"title": ""},
    "title-blank": {"title": " \t\n "},
    "title-with-c1-control": {"title": "Lamp\x85Shade"},
    "title-with-bidi-isolate": {"title": "Lamp \u2067x\u2069"},
    "title-only-invisible": {"title": "\u200b\u2060"},
    "title-201-chars": {"title": "t" * 201},
    # The limit counts the title as sent, as the document's maxLength says.
    "title-201-chars-as-sent": {"title": " " + "t" * 199 + " "},
    "title-10000-chars": {"title": "t" * 10_000},
    "title-nul": {"title": "Brass\x00Lantern"},
    "title-newline": {"title": "Brass\nLantern"},
    "title-tab": {"title": "Brass\tLantern"},
    "title-escape": {"title": "Brass\x1b[31mLantern"},
    "title-delete": {"title": "Brass\x7fLantern"},
    "description-int": {"description": 5},
    "description-list": {"description": ["Works."]},
    "description-nul": {"description": "Works.\x00"},
    "description-2001-chars": {"description": "d" * 2001},
    "description-10000-chars": {"description": "d" * 10_000},
    "unknown-field": {"colour": "blue"},
    "id-field": {"id": 1},
    "owner-id-field": {"owner_id": 1},
    "views-field": {"views": 1_000_000},
    "title-key-field": {"title_key": "x"},
    "created-at-field": {"created_at": "2020-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("changes", INVALID_CREATE.values(), ids=INVALID_CREATE.keys())
async def test_create_rejects_invalid_field_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    changes: dict[str, Any],
) -> None:
    before = await count_items()

    response = await client.post(f"{api}/items", json=valid_body(**changes), headers=owner.headers)

    assert_invalid(response)
    assert await count_items() == before


# Every kind of body that is no JSON object: servicekit's test_problem_details.
@pytest.mark.parametrize(
    "raw",
    [NOT_JSON_OBJECTS["truncated"], b'[{"title": "Lantern"}]'],
    ids=["truncated", "list-of-valid-item"],
)
async def test_create_rejects_malformed_or_non_object_json(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    raw: bytes,
) -> None:
    before = await count_items()

    response = await client.post(
        f"{api}/items", content=raw, headers=owner.headers | {"content-type": "application/json"}
    )

    assert_invalid(response)
    assert await count_items() == before


# --- update: invalid fields -----------------------------------------------------------

INVALID_PATCH = {
    "title-null": {"title": None},
    "title-int": {"title": 5},
    "title-empty": {"title": ""},
    "title-blank": {"title": "   "},
    "title-201-chars": {"title": "t" * 201},
    # The limit counts the title as sent, as the document's maxLength says.
    "title-201-chars-as-sent": {"title": " " + "t" * 199 + " "},
    "title-10000-chars": {"title": "t" * 10_000},
    "title-nul": {"title": "\x00"},
    "title-newline": {"title": "Brass\nLantern"},
    "description-int": {"description": 5},
    "description-nul": {"description": "\x00"},
    "description-2001-chars": {"description": "d" * 2001},
    "description-10000-chars": {"description": "d" * 10_000},
    "unknown-field": {"colour": "blue"},
    "owner-id-field": {"owner_id": 1},
    "views-field": {"views": 1_000_000},
    "valid-title-with-invalid-description": {"title": "Renamed", "description": 5},
}


@pytest.mark.parametrize("changes", INVALID_PATCH.values(), ids=INVALID_PATCH.keys())
async def test_patch_rejects_invalid_field_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    changes: dict[str, Any],
) -> None:
    item = await item_factory(owner)
    before = await stored_item(item["id"])

    response = await client.patch(f"{api}/items/{item['id']}", json=changes, headers=owner.headers)

    assert_invalid(response)
    assert await stored_item(item["id"]) == before


async def test_patch_rejects_a_body_that_is_no_json_object(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
) -> None:
    item = await item_factory(owner)
    before = await stored_item(item["id"])

    response = await client.patch(
        f"{api}/items/{item['id']}",
        content=NOT_JSON_OBJECTS["list"],
        headers=owner.headers | {"content-type": "application/json"},
    )

    assert_invalid(response)
    assert await stored_item(item["id"]) == before


# --- ids ------------------------------------------------------------------------------


# Every id that is no id: servicekit's test_inputs (`id_path`).
@pytest.mark.parametrize("item_id", A_FEW_BAD_IDS)
async def test_bad_item_id_is_422_everywhere_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    view_counts: "ViewCounts",
    item_id: str,
) -> None:
    before = await count_items()

    assert_invalid(await client.get(f"{api}/items/{item_id}"))
    patched = await client.patch(
        f"{api}/items/{item_id}", json={"title": "Ghost"}, headers=owner.headers
    )
    assert_invalid(patched)
    assert_invalid(await client.delete(f"{api}/items/{item_id}", headers=owner.headers))

    assert await count_items() == before
    assert view_counts.pending(item_id) is None


# --- query parameters -----------------------------------------------------------------

BAD_LIST_PARAMS = {
    "limit-0": {"limit": "0"},
    "limit-101": {"limit": "101"},
    "limit-1000": {"limit": "1000"},
    "limit--1": {"limit": "-1"},
    "limit-abc": {"limit": "abc"},
    "limit-empty": {"limit": ""},
    "owner-0": {"owner_id": "0"},
    "owner--1": {"owner_id": "-1"},
    "owner-abc": {"owner_id": "abc"},
    "owner-too-large": {"owner_id": str(MAX_ID + 1)},
    "q-empty": {"q": ""},
    "q-201-chars": {"q": "q" * 201},
    "q-nul": {"q": "kett\x00"},
    "q-newline": {"q": "kett\nle"},
    "expand-bogus": {"expand": "bogus"},
    "expand-uppercase": {"expand": "OWNER"},
    "expand-empty": {"expand": ""},
    "expand-two": {"expand": "owner,owner"},
}


@pytest.mark.parametrize("params", BAD_LIST_PARAMS.values(), ids=BAD_LIST_PARAMS.keys())
async def test_list_rejects_bad_query_parameters(
    client: httpx.AsyncClient,
    api: str,
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    params: dict[str, Any],
) -> None:
    assert_invalid(await client.get(f"{api}/items", params=params))


@pytest.mark.parametrize("expand", ["bogus", "owners", "OWNER", ""])
async def test_get_rejects_bad_expand_and_counts_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    view_counts: "ViewCounts",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    expand: str,
) -> None:
    item = await item_factory(owner)

    response = await client.get(f"{api}/items/{item['id']}", params={"expand": expand})

    assert_invalid(response)
    assert view_counts.pending(item["id"]) is None


# --- validation errors never echo the rejected input ---------------------------------

ECHO_REQUESTS: dict[
    str, Callable[[httpx.AsyncClient, str, dict[str, str]], Awaitable[httpx.Response]]
] = {
    "title": lambda c, api, h: c.post(f"{api}/items", json=valid_body(title=ECHO), headers=h),
    "description": lambda c, api, h: c.post(
        f"{api}/items", json=valid_body(description=ECHO), headers=h
    ),
    "unknown-field": lambda c, api, h: c.post(
        f"{api}/items", json=valid_body(nickname=ECHO), headers=h
    ),
    "q": lambda c, api, h: c.get(f"{api}/items", params={"q": ECHO}),
    "cursor": lambda c, api, h: c.get(f"{api}/items", params={"cursor": ECHO}),
    "expand": lambda c, api, h: c.get(f"{api}/items", params={"expand": ECHO}),
    "item-id": lambda c, api, h: c.get(f"{api}/items/{ECHO}"),
}


@pytest.mark.parametrize("send", ECHO_REQUESTS.values(), ids=ECHO_REQUESTS.keys())
async def test_validation_error_does_not_echo_the_input(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    send: Callable[[httpx.AsyncClient, str, dict[str, str]], Awaitable[httpx.Response]],
) -> None:
    before = await count_items()

    response = await send(client, api, owner.headers)

    assert_problem(response, 422)
    assert echoing_fields(response) == []
    assert await count_items() == before


# --- body size ------------------------------------------------------------------------


# Sizes far past the limit: servicekit's test_body_limit.
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_create_body_is_413_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    streamed: bool,
) -> None:
    before = await count_items()
    raw = json.dumps(valid_body(description="d" * 2 * MIB)).encode()

    response = await client.post(
        f"{api}/items",
        content=chunks(raw) if streamed else raw,
        headers=owner.headers | {"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert "d" * 100 not in response.text
    assert await count_items() == before


async def test_body_just_under_the_limit_is_validated_not_refused(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
) -> None:
    before = await count_items()
    raw = json.dumps(valid_body(description="d" * (MIB - 1000))).encode()
    assert len(raw) < MIB

    response = await client.post(
        f"{api}/items", content=raw, headers=owner.headers | {"content-type": "application/json"}
    )

    assert_invalid(response)
    assert await count_items() == before


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_patch_body_is_413_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    streamed: bool,
) -> None:
    item = await item_factory(owner)
    before = await stored_item(item["id"])
    raw = json.dumps({"title": "t" * 2 * MIB}).encode()

    response = await client.patch(
        f"{api}/items/{item['id']}",
        content=chunks(raw) if streamed else raw,
        headers=owner.headers | {"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert await stored_item(item["id"]) == before


# --- tokens ---------------------------------------------------------------------------


# Every forgery: servicekit's test_tokens (`CurrentUser`).
@pytest.mark.parametrize("kind", A_FEW_FORGERIES)
async def test_bad_token_is_401_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    count_items: Callable[[], Awaitable[int]],
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    mint_token: MintToken,
    forge_token: Callable[..., str | None],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    kind: str,
) -> None:
    item = await item_factory(owner, title="Kettle")
    before = await stored_item(item["id"]), await count_items()
    forged = forge_token(kind, owner.id)
    headers = {} if forged is None else {"Authorization": forged}

    created = await client.post(f"{api}/items", json=valid_body(), headers=headers)
    patched = await client.patch(
        f"{api}/items/{item['id']}", json={"title": "Hacked"}, headers=headers
    )
    deleted = await client.delete(f"{api}/items/{item['id']}", headers=headers)

    for response in (created, patched, deleted):
        assert_problem(response, 401)
    assert (await stored_item(item["id"]), await count_items()) == before
    # The same claims, properly signed, are honoured: the rejection was the forgery's.
    genuine = await client.patch(
        f"{api}/items/{item['id']}",
        json={},
        headers={"Authorization": f"Bearer {mint_token(str(owner.id))}"},
    )
    assert genuine.status_code == 200, genuine.text


async def test_reads_ignore_a_bad_token(
    client: httpx.AsyncClient, api: str, owner: Owner, item_factory: "ItemFactory"
) -> None:
    # Reads are public: a token, good or bad, changes nothing about them.
    item = await item_factory(owner)
    headers = {"Authorization": "Bearer abc"}

    assert (await client.get(f"{api}/items/{item['id']}", headers=headers)).status_code == 200
    assert (await client.get(f"{api}/items", headers=headers)).status_code == 200


async def test_token_of_a_user_items_has_never_seen_is_accepted(
    client: httpx.AsyncClient, api: str, mint_token: MintToken
) -> None:
    # items trusts the signature alone and never asks users whether the account exists.
    headers = {"Authorization": f"Bearer {mint_token(str(MAX_ID))}"}

    response = await client.post(f"{api}/items", json=valid_body(), headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["owner_id"] == MAX_ID


# --- unknown routes and methods -------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "{api}/nope", "{api}/items/1/parts"])
async def test_unknown_route_is_404_problem(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    path: str,
) -> None:
    assert_problem(await client.get(path.format(api=api)), 404)


async def test_an_items_path_allows_every_method_of_its_routes(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    item_factory: "ItemFactory",
    stored_item: Callable[[int], Awaitable[dict[str, Any] | None]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    item = await item_factory(owner)
    path = f"{api}/items/{item['id']}"

    options = await client.options(path, headers=owner.headers)
    put = await client.put(path, json=valid_body(title="Nope"), headers=owner.headers)

    assert options.status_code == 204
    assert options.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
    assert_problem(put, 405)
    assert put.headers["allow"] == options.headers["allow"]
    row = await stored_item(item["id"])
    assert row is not None
    assert row["title"] == item["title"]


@pytest.mark.parametrize(("method", "path"), [("PUT", "{api}/items"), ("DELETE", "{api}/items")])
async def test_wrong_method_is_405_problem(
    client: httpx.AsyncClient,
    api: str,
    owner: Owner,
    count_items: Callable[[], Awaitable[int]],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
    path: str,
) -> None:
    before = await count_items()

    response = await client.request(
        method, path.format(api=api), json=valid_body(), headers=owner.headers
    )

    assert_problem(response, 405)
    assert await count_items() == before
