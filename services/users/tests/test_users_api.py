"""The users resource over HTTP: create, read, list and search, update, delete, health.

Every test runs under /api and /sync/api against PostgreSQL and MariaDB (one contract),
but for input refused before any SQL runs, on Postgres alone (`before_any_sql`)."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from servicekit.web.cursors import encode_cursor
from testkit.assertions import assert_invalid, assert_problem
from testkit.backends import before_any_sql
from testkit.bad_input import A_FEW_BAD_IDS, MAX_ID, NOT_CURSORS
from testkit.transactions import Sql

if TYPE_CHECKING:
    from .conftest import CreatedUser, UserFactory

PUBLIC_FIELDS = {"id", "name", "avatar", "created_at"}
PRIVATE_FIELDS = PUBLIC_FIELDS | {"email"}


def unique_email() -> str:
    return f"u{uuid.uuid4().hex}@example.com"


def unique_prefix() -> str:
    # Letters only: every collation orders names that differ after it the same way.
    return "Zq" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:10])


def assert_unauthorized(response: httpx.Response) -> None:
    assert_problem(response, 401)
    assert "Bearer" in response.headers.get("www-authenticate", "")


def assert_no_secrets(user: dict[str, Any]) -> None:
    assert not [key for key in user if "password" in key or "hash" in key]


def assert_public(user: dict[str, Any]) -> None:
    assert user.keys() >= PUBLIC_FIELDS
    assert "email" not in user
    assert_no_secrets(user)


def assert_private(user: dict[str, Any]) -> None:
    assert user.keys() >= PRIVATE_FIELDS
    assert_no_secrets(user)


def private_view(user: dict[str, Any]) -> dict[str, Any]:
    return {field: user[field] for field in PRIVATE_FIELDS}


async def get_me(client: httpx.AsyncClient, api: str, user: "CreatedUser") -> dict[str, Any]:
    response = await client.get(f"{api}/users/me", headers=user.headers)
    assert response.status_code == 200, response.text
    return private_view(response.json())


async def post_user(client: httpx.AsyncClient, api: str, **fields: object) -> httpx.Response:
    body = {"name": "Ann Lee", "email": unique_email(), "password": "correct horse 1"} | fields
    return await client.post(f"{api}/users", json=body)


async def create_user(client: httpx.AsyncClient, api: str, **fields: object) -> dict[str, Any]:
    response = await post_user(client, api, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(client: httpx.AsyncClient, api: str, email: str, password: str) -> httpx.Response:
    return await client.post(f"{api}/auth/token", data={"username": email, "password": password})


async def count_users(sql: Sql) -> int:
    result: int = await sql("SELECT count(*) FROM users")
    return result


async def users_with_id(sql: Sql, user_id: int) -> int:
    # The id is an int the test got from the service: nothing to inject.
    result: int = await sql(f"SELECT count(*) FROM users WHERE id = {int(user_id)}")  # noqa: S608
    return result


async def unknown_id(sql: Sql) -> int:
    return int(await sql("SELECT coalesce(max(id), 0) FROM users")) + 1000


async def get_page(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], cursor: str | None = None
) -> dict[str, Any]:
    response = await client.get(url, params=params | ({"cursor": cursor} if cursor else {}))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) >= {"items", "next_cursor"}
    assert len(page["items"]) <= params.get("limit", 50)
    for user in page["items"]:
        assert_public(user)
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


# --- create ---------------------------------------------------------------------------


async def test_create_user_returns_private_view_and_location(
    client: httpx.AsyncClient, api: str
) -> None:
    email = unique_email()
    response = await post_user(
        client,
        api,
        name="Ann Lee",
        email=email,
        password="correct horse 1",
        avatar="https://cdn.example.com/ann.png",
    )

    assert response.status_code == 201, response.text
    user = response.json()
    assert_private(user)
    assert isinstance(user["id"], int)
    assert not isinstance(user["id"], bool)
    assert user["name"] == "Ann Lee"
    assert user["email"] == email
    assert user["avatar"] == "https://cdn.example.com/ann.png"
    datetime.fromisoformat(user["created_at"])
    assert "correct horse 1" not in response.text
    location = httpx.URL(response.headers["location"])
    assert location.path == f"{api}/users/{user['id']}"

    fetched = await client.get(location.path)
    assert fetched.status_code == 200
    assert fetched.json()["id"] == user["id"]


async def test_create_user_without_avatar_has_null_avatar(
    client: httpx.AsyncClient, api: str
) -> None:
    user = await create_user(client, api)

    assert user["avatar"] is None


async def test_create_user_strips_name_and_lowercases_email(
    client: httpx.AsyncClient, api: str
) -> None:
    local = f"Ann.{uuid.uuid4().hex}"

    user = await create_user(client, api, name="  Ann Lee \t", email=f"{local}@Example.COM")

    assert user["name"] == "Ann Lee"
    assert user["email"] == f"{local.lower()}@example.com"


LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"name": "A"}, id="name-1-char"),
        pytest.param({"name": "n" * 100}, id="name-100-chars"),
        pytest.param({"name": "  " + "n" * 96 + "  "}, id="name-100-chars-as-sent-stripped"),
        pytest.param({"email": LONGEST_EMAIL}, id="email-254-chars"),
        pytest.param({"password": "p" * 8}, id="password-8-chars"),
        pytest.param({"password": "p" * 128}, id="password-128-chars"),
        pytest.param({"avatar": "http://cdn.example.com/a.png"}, id="avatar-http"),
        pytest.param({"avatar": "https://cdn.example.com/" + "a" * 2024}, id="avatar-2048-chars"),
        pytest.param({"avatar": None}, id="avatar-null"),
    ],
)
async def test_create_user_accepts_boundary_values(
    client: httpx.AsyncClient, api: str, fields: dict[str, Any]
) -> None:
    response = await post_user(client, api, **fields)

    assert response.status_code == 201, response.text
    if "password" in fields:
        user = response.json()
        logged_in = await login(client, api, user["email"], fields["password"])
        assert logged_in.status_code == 200


@pytest.mark.parametrize(
    "second_email", [str, str.lower, str.upper], ids=["same", "lower", "upper"]
)
async def test_create_user_with_taken_email_is_409_and_writes_nothing(
    client: httpx.AsyncClient, api: str, sql: Sql, second_email: Callable[[str], str]
) -> None:
    email = f"Ann.{uuid.uuid4().hex}@Example.COM"
    await create_user(client, api, email=email)
    before = await count_users(sql)

    response = await post_user(client, api, name="Other Ann", email=second_email(email))

    body = assert_problem(response, 409)
    assert "email" in body["title"].lower()
    assert "taken" in body["title"].lower()
    assert await count_users(sql) == before


# --- read -----------------------------------------------------------------------------


async def test_get_user_returns_public_view(client: httpx.AsyncClient, api: str) -> None:
    created = await create_user(client, api, avatar="https://cdn.example.com/ann.png")

    response = await client.get(f"{api}/users/{created['id']}")

    assert response.status_code == 200
    user = response.json()
    assert_public(user)
    assert created["email"] not in response.text
    assert user["id"] == created["id"]
    assert user["name"] == created["name"]
    assert user["avatar"] == created["avatar"]
    assert user["created_at"] == created["created_at"]


async def test_head_of_a_user_is_the_get_without_its_body(
    client: httpx.AsyncClient, api: str, sql: Sql
) -> None:
    created = await create_user(client, api)
    path = f"{api}/users/{created['id']}"

    got, head = await client.get(path), await client.head(path)
    missing = await client.head(f"{api}/users/{await unknown_id(sql)}")

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == "application/json"
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.content == b""


async def test_get_unknown_user_is_404(client: httpx.AsyncClient, api: str, sql: Sql) -> None:
    response = await client.get(f"{api}/users/{await unknown_id(sql)}")

    assert_problem(response, 404)


async def test_get_largest_valid_id_is_404_not_an_error(
    client: httpx.AsyncClient, api: str
) -> None:
    response = await client.get(f"{api}/users/{MAX_ID}")

    assert_problem(response, 404)


# Only plain decimal digits name an id ("1.0" and "+1" were read as user 1): every id
# that is no id, servicekit's test_inputs (`id_path`).


@before_any_sql
@pytest.mark.parametrize("user_id", A_FEW_BAD_IDS)
async def test_get_user_with_invalid_id_is_422(
    client: httpx.AsyncClient, api: str, user_id: str
) -> None:
    response = await client.get(f"{api}/users/{user_id}")

    assert_invalid(response)


async def test_me_returns_private_view_of_the_caller(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    await user_factory(name="Someone Else")
    user = await user_factory(name="Ann Lee", avatar="https://cdn.example.com/ann.png")

    response = await client.get(f"{api}/users/me", headers=user.headers)

    assert response.status_code == 200, response.text
    me = response.json()
    assert_private(me)
    assert me["id"] == user.id
    assert me["name"] == "Ann Lee"
    assert me["email"] == user.email.lower()
    assert me["avatar"] == "https://cdn.example.com/ann.png"


async def test_me_without_token_is_401(client: httpx.AsyncClient, api: str) -> None:
    response = await client.get(f"{api}/users/me")

    assert_unauthorized(response)


# --- list and paginate ----------------------------------------------------------------


async def test_list_returns_public_views(client: httpx.AsyncClient, api: str) -> None:
    created = await create_user(client, api, avatar="https://cdn.example.com/ann.png")

    items = await walk(client, f"{api}/users", {"limit": 100}, max_pages=1000)

    listed = next(user for user in items if user["id"] == created["id"])
    assert listed["name"] == created["name"]
    assert listed["avatar"] == created["avatar"]


async def test_list_pages_yield_every_user_once_in_id_order(
    client: httpx.AsyncClient, api: str, sql: Sql
) -> None:
    created = [await create_user(client, api, name=f"Page User {n}") for n in range(5)]
    total = await count_users(sql)

    items = await walk(client, f"{api}/users", {"limit": 2}, max_pages=total // 2 + 2)

    ids = [user["id"] for user in items]
    assert len(ids) == len(set(ids)) == total
    assert ids == sorted(ids)
    assert {user["id"] for user in created} <= set(ids)


async def test_list_picks_up_users_created_between_pages(
    client: httpx.AsyncClient, api: str, sql: Sql
) -> None:
    first = [await create_user(client, api, name=f"Early {n}") for n in range(4)]
    params = {"limit": 2}
    page = await get_page(client, f"{api}/users", params)
    seen = [user["id"] for user in page["items"]]
    assert page["next_cursor"] is not None

    later = [await create_user(client, api, name=f"Late {n}") for n in range(3)]
    cursor = page["next_cursor"]
    for _ in range(await count_users(sql)):
        if cursor is None:
            break
        page = await get_page(client, f"{api}/users", params, cursor)
        seen += [user["id"] for user in page["items"]]
        cursor = page["next_cursor"]

    assert cursor is None
    assert len(seen) == len(set(seen)) == await count_users(sql)
    assert {user["id"] for user in first + later} <= set(seen)
    assert seen[-len(later) :] == [user["id"] for user in later]


async def test_list_default_limit_is_50(client: httpx.AsyncClient, api: str, sql: Sql) -> None:
    for n in range(max(0, 51 - await count_users(sql))):
        await create_user(client, api, name=f"Bulk {n}")

    page = await get_page(client, f"{api}/users", {})

    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("limit", [1, 100])
async def test_list_accepts_limit_bounds(client: httpx.AsyncClient, api: str, limit: int) -> None:
    await create_user(client, api)
    await create_user(client, api)

    page = await get_page(client, f"{api}/users", {"limit": limit})

    assert 1 <= len(page["items"]) <= limit
    if limit == 1:
        assert page["next_cursor"] is not None


# Every limit out of range: servicekit's test_pagination.
@before_any_sql
@pytest.mark.parametrize("limit", ["0", "101"])
async def test_list_rejects_bad_limit(client: httpx.AsyncClient, api: str, limit: str) -> None:
    response = await client.get(f"{api}/users", params={"limit": limit})

    assert_invalid(response)


# Every way a cursor is refused: servicekit's test_cursors. Here, that both listings
# (with and without q) decode theirs: one of each kind of refusal.
MALFORMED_CURSORS = {
    "base64-of-json-list": NOT_CURSORS["base64-of-json-list"],
    # Well formed, but for another listing.
    "items-cursor": encode_cursor("items", {"i": 5}),
    # A search key with NUL reached Postgres, which answered 500 (invalid byte 0x00).
    "nul-in-search-key": encode_cursor("users.search", {"q": "ann", "k": "a\x00b", "i": 1}),
}


@before_any_sql
@pytest.mark.parametrize("q", [None, "ann"], ids=["no-q", "q"])
@pytest.mark.parametrize("cursor", MALFORMED_CURSORS.values(), ids=MALFORMED_CURSORS.keys())
async def test_list_rejects_malformed_cursor(
    client: httpx.AsyncClient, api: str, cursor: str, q: str | None
) -> None:
    await create_user(client, api, name="Ann Lee")
    await create_user(client, api, name="Anna Bell")
    params = {"cursor": cursor} | ({"q": q} if q else {})

    response = await client.get(f"{api}/users", params=params)

    assert_problem(response, 422)


@before_any_sql
@pytest.mark.parametrize(
    ("made_for", "used_with"),
    [("first", "second"), ("first", None), (None, "first")],
    ids=["other-q", "q-cursor-without-q", "plain-cursor-with-q"],
)
async def test_cursor_is_bound_to_its_query(
    client: httpx.AsyncClient, api: str, made_for: str | None, used_with: str | None
) -> None:
    prefixes: dict[str | None, str | None] = {
        "first": unique_prefix(),
        "second": unique_prefix(),
        None: None,
    }
    for prefix in ("first", "second"):
        for n in ("one", "two", "three"):
            await create_user(client, api, name=f"{prefixes[prefix]} {n}")

    def query(which: str | None) -> dict[str, Any]:
        return {"limit": 1} | ({"q": prefixes[which]} if which else {})

    page = await get_page(client, f"{api}/users", query(made_for))
    assert page["next_cursor"] is not None

    response = await client.get(
        f"{api}/users", params=query(used_with) | {"cursor": page["next_cursor"]}
    )

    assert_problem(response, 422)


# --- search ---------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["ann", "ANN", "aNn"])
async def test_search_is_a_case_insensitive_name_prefix_match(
    client: httpx.AsyncClient, api: str, sql: Sql, q: str
) -> None:
    matching = [
        await create_user(client, api, name="Ann Lee"),
        await create_user(client, api, name="ANNA x"),
    ]
    others = [
        await create_user(client, api, name="Joanna"),
        await create_user(client, api, name="Lee Ann"),
        await create_user(client, api, name="An Nguyen"),
    ]

    found = await walk(
        client, f"{api}/users", {"q": q, "limit": 100}, max_pages=await count_users(sql) + 2
    )

    ids = {user["id"] for user in found}
    assert {user["id"] for user in matching} <= ids
    assert not {user["id"] for user in others} & ids
    assert all(user["name"].lower().startswith("ann") for user in found)


@pytest.mark.parametrize(
    ("q", "matching", "other"),
    [
        ("%", "%Percent Pat", "Plain Pat"),
        ("a_", "a_b Under", "ab Under"),
        ("_", "_Under Score", "Under Score"),
        ("50%", "50% Off", "500 Off"),
        ("\\", "\\Back Slash", "%Back Slash"),
    ],
    ids=["percent", "underscore-after-letter", "underscore", "percent-after-digits", "backslash"],
)
async def test_search_takes_like_wildcards_literally(
    client: httpx.AsyncClient, api: str, sql: Sql, q: str, matching: str, other: str
) -> None:
    wanted = await create_user(client, api, name=matching)
    unwanted = await create_user(client, api, name=other)

    found = await walk(
        client, f"{api}/users", {"q": q, "limit": 100}, max_pages=await count_users(sql) + 2
    )

    ids = {user["id"] for user in found}
    assert wanted["id"] in ids
    assert unwanted["id"] not in ids
    assert all(user["name"].lower().startswith(q.lower()) for user in found)


async def test_search_orders_by_lowercased_name_then_id_across_pages(
    client: httpx.AsyncClient, api: str
) -> None:
    prefix = unique_prefix()
    names = [
        f"{prefix} delta",
        f"{prefix} Alpha",
        f"{prefix.upper()} charlie",
        f"{prefix.lower()} ALPHA",
        f"{prefix} bravo",
        f"{prefix} Echo",
    ]
    created = [await create_user(client, api, name=name) for name in names]
    expected = sorted(created, key=lambda user: (user["name"].lower(), user["id"]))

    found = await walk(client, f"{api}/users", {"q": prefix.lower(), "limit": 2}, max_pages=10)

    assert [(user["id"], user["name"]) for user in found] == [
        (user["id"], user["name"]) for user in expected
    ]


async def test_search_accepts_q_of_100_chars(client: httpx.AsyncClient, api: str) -> None:
    name = "q" * 100
    created = await create_user(client, api, name=name)

    page = await get_page(client, f"{api}/users", {"q": name, "limit": 100})

    assert created["id"] in {user["id"] for user in page["items"]}


@before_any_sql
async def test_search_rejects_q_over_100_chars(client: httpx.AsyncClient, api: str) -> None:
    response = await client.get(f"{api}/users", params={"q": "q" * 101})

    assert_invalid(response)


# --- update ---------------------------------------------------------------------------

NEW_VALUES: dict[str, Callable[[], str]] = {
    "name": lambda: "Bo Brown",
    "email": unique_email,
    "avatar": lambda: "https://cdn.example.com/bo.png",
}


@pytest.mark.parametrize("field", NEW_VALUES)
async def test_patch_changes_the_given_field_only(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory", field: str
) -> None:
    user = await user_factory(name="Ann Lee", avatar="https://cdn.example.com/ann.png")
    before = await get_me(client, api, user)
    value = NEW_VALUES[field]()

    response = await client.patch(
        f"{api}/users/{user.id}", json={field: value}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert_private(patched)
    assert private_view(patched) == before | {field: value}
    assert await get_me(client, api, user) == before | {field: value}


async def test_patch_with_empty_object_changes_nothing(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory(avatar="https://cdn.example.com/ann.png")
    before = await get_me(client, api, user)

    response = await client.patch(f"{api}/users/{user.id}", json={}, headers=user.headers)

    assert response.status_code == 200, response.text
    assert private_view(response.json()) == before
    assert await get_me(client, api, user) == before
    assert (await login(client, api, user.email, user.password)).status_code == 200


async def test_patch_strips_name_and_lowercases_email(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    local = f"New.{uuid.uuid4().hex}"

    response = await client.patch(
        f"{api}/users/{user.id}",
        json={"name": "  Bo Brown  ", "email": f"{local}@Example.COM"},
        headers=user.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Bo Brown"
    assert response.json()["email"] == f"{local.lower()}@example.com"
    moved = await login(client, api, f"{local.lower()}@example.com", user.password)
    assert moved.status_code == 200
    assert (await login(client, api, user.email, user.password)).status_code == 401


async def test_patch_avatar_null_clears_it(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory(avatar="https://cdn.example.com/ann.png")

    response = await client.patch(
        f"{api}/users/{user.id}", json={"avatar": None}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["avatar"] is None
    assert (await client.get(f"{api}/users/{user.id}")).json()["avatar"] is None


async def test_patch_password_switches_login(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory(password="correct horse 1")

    response = await client.patch(
        f"{api}/users/{user.id}", json={"password": "battery staple 2"}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    assert_no_secrets(response.json())
    assert "battery staple 2" not in response.text
    assert (await login(client, api, user.email, "battery staple 2")).status_code == 200
    assert_problem(await login(client, api, user.email, "correct horse 1"), 401)


async def test_patch_another_user_is_403_and_changes_nothing(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    owner = await user_factory(name="Ann Lee")
    intruder = await user_factory(name="Mallory")

    response = await client.patch(
        f"{api}/users/{owner.id}",
        json={"name": "Hacked", "password": "hacked password"},
        headers=intruder.headers,
    )

    assert_problem(response, 403)
    assert (await client.get(f"{api}/users/{owner.id}")).json()["name"] == "Ann Lee"
    assert (await login(client, api, owner.email, owner.password)).status_code == 200


async def test_patch_without_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory(name="Ann Lee")

    response = await client.patch(f"{api}/users/{user.id}", json={"name": "Hacked"})

    assert_unauthorized(response)
    assert (await client.get(f"{api}/users/{user.id}")).json()["name"] == "Ann Lee"


async def test_patch_unknown_user_is_403_or_404(
    client: httpx.AsyncClient, api: str, sql: Sql, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    before = await count_users(sql)

    response = await client.patch(
        f"{api}/users/{await unknown_id(sql)}", json={"name": "Ghost"}, headers=user.headers
    )

    assert response.status_code in (403, 404), response.text
    assert_problem(response, response.status_code)
    assert await count_users(sql) == before


@pytest.mark.parametrize("spelling", [str, str.upper], ids=["same", "upper"])
async def test_patch_to_taken_email_is_409_and_changes_nothing(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory", spelling: Callable[[str], str]
) -> None:
    taken = await user_factory()
    user = await user_factory()
    before = await get_me(client, api, user)

    response = await client.patch(
        f"{api}/users/{user.id}",
        json={"name": "New Name", "email": spelling(taken.email)},
        headers=user.headers,
    )

    body = assert_problem(response, 409)
    assert "email" in body["title"].lower()
    assert await get_me(client, api, user) == before
    assert (await login(client, api, user.email, user.password)).status_code == 200


# --- delete ---------------------------------------------------------------------------


async def test_delete_own_user(
    client: httpx.AsyncClient, api: str, sql: Sql, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    bystander = await user_factory()

    response = await client.delete(f"{api}/users/{user.id}", headers=user.headers)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert await users_with_id(sql, user.id) == 0
    assert await users_with_id(sql, bystander.id) == 1
    assert_problem(await client.get(f"{api}/users/{user.id}"), 404)
    assert_problem(await login(client, api, user.email, user.password), 401)
    assert_unauthorized(await client.get(f"{api}/users/me", headers=user.headers))


async def test_delete_another_user_is_403(
    client: httpx.AsyncClient, api: str, sql: Sql, user_factory: "UserFactory"
) -> None:
    owner = await user_factory()
    intruder = await user_factory()

    response = await client.delete(f"{api}/users/{owner.id}", headers=intruder.headers)

    assert_problem(response, 403)
    assert await users_with_id(sql, owner.id) == 1
    assert (await client.get(f"{api}/users/{owner.id}")).status_code == 200


async def test_delete_without_token_is_401(
    client: httpx.AsyncClient, api: str, sql: Sql, user_factory: "UserFactory"
) -> None:
    user = await user_factory()

    response = await client.delete(f"{api}/users/{user.id}")

    assert_unauthorized(response)
    assert await users_with_id(sql, user.id) == 1


async def test_delete_unknown_user_is_403_or_404(
    client: httpx.AsyncClient, api: str, sql: Sql, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    before = await count_users(sql)

    response = await client.delete(f"{api}/users/{await unknown_id(sql)}", headers=user.headers)

    assert response.status_code in (403, 404), response.text
    assert_problem(response, response.status_code)
    assert await count_users(sql) == before


# --- health ---------------------------------------------------------------------------


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_readyz_when_database_and_redis_are_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"]
