"""Bad input gets a clear 4xx problem and writes nothing: wrong types, missing, unknown and
oversized fields, malformed and huge bodies, malformed request ids, unknown routes.

All of it is refused before any SQL runs: on Postgres alone, in both modes."""

import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.assertions import assert_invalid, assert_problem
from testkit.backends import before_any_sql
from testkit.bad_input import ECHO, NOT_JSON_OBJECTS, echoing_fields
from testkit.transactions import Sql

if TYPE_CHECKING:
    from .conftest import CreatedUser, UserFactory

pytestmark = before_any_sql

MIB = 1024 * 1024
PRIVATE_FIELDS = ("id", "name", "email", "avatar", "created_at")
MISSING = object()


def unique_email() -> str:
    return f"u{uuid.uuid4().hex}@example.com"


def valid_body(**changes: object) -> dict[str, Any]:
    body = {"name": "Ann Lee", "email": unique_email(), "password": "correct horse 1"} | changes
    return {key: value for key, value in body.items() if value is not MISSING}


async def count_users(sql: Sql) -> int:
    result: int = await sql("SELECT count(*) FROM users")
    return result


async def stored_name(sql: Sql, user_id: int) -> str:
    # The id is an int the test got from the service: nothing to inject.
    result: str = await sql(f"SELECT name FROM users WHERE id = {int(user_id)}")  # noqa: S608
    return result


async def get_me(client: httpx.AsyncClient, api: str, user: "CreatedUser") -> dict[str, Any]:
    response = await client.get(f"{api}/users/me", headers=user.headers)
    assert response.status_code == 200, response.text
    return {field: response.json()[field] for field in PRIVATE_FIELDS}


async def can_log_in(client: httpx.AsyncClient, api: str, email: str, password: str) -> bool:
    response = await client.post(
        f"{api}/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# --- create: invalid fields -----------------------------------------------------------

INVALID_CREATE = {
    # Postgres cannot store NUL: refused on both databases, never a 500.
    "name-with-nul": {"name": "Ann\x00Lee"},
    "name-with-newline": {"name": "Ann\nLee"},
    "name-with-c1-control": {"name": "Ann\x85Lee"},
    "name-with-bidi-override": {"name": "Ann\u202eeeL"},
    "name-only-invisible": {"name": "\u200b\u200b\ufeff"},
    "password-of-nuls": {"password": "\x00" * 10},
    "password-with-escape": {"password": "pass\x1b[2Jword"},
    "name-missing": {"name": MISSING},
    "email-missing": {"email": MISSING},
    "password-missing": {"password": MISSING},
    "name-int": {"name": 5},
    "name-null": {"name": None},
    "name-list": {"name": ["Ann"]},
    "email-list": {"email": []},
    "email-null": {"email": None},
    "password-null": {"password": None},
    "password-int": {"password": 123456789},
    "avatar-int": {"avatar": 5},
    "name-empty": {"name": ""},
    "name-blank": {"name": " \t "},
    "email-empty": {"email": ""},
    "password-empty": {"password": ""},
    "name-101-chars": {"name": "n" * 101},
    "name-10000-chars": {"name": "n" * 10_000},
    "email-without-at": {"email": "ann.example.com"},
    "email-without-domain": {"email": "ann@"},
    "email-without-local-part": {"email": "@example.com"},
    "email-255-chars": {
        "email": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"
    },
    "password-7-chars": {"password": "p" * 7},
    "password-129-chars": {"password": "p" * 129},
    "avatar-ftp": {"avatar": "ftp://cdn.example.com/a.png"},
    "avatar-javascript": {"avatar": "javascript:alert(1)"},
    "avatar-not-a-url": {"avatar": "not a url"},
    "avatar-2049-chars": {"avatar": "https://cdn.example.com/" + "a" * 2025},
    "unknown-field": {"role": "admin"},
    "id-field": {"id": 1},
    "password-hash-field": {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$x$y"},
    "created-at-field": {"created_at": "2020-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("changes", INVALID_CREATE.values(), ids=INVALID_CREATE.keys())
async def test_create_rejects_invalid_field_and_writes_nothing(
    client: httpx.AsyncClient, api: str, sql: Sql, changes: dict[str, Any]
) -> None:
    before = await count_users(sql)

    response = await client.post(f"{api}/users", json=valid_body(**changes))

    assert_invalid(response)
    assert await count_users(sql) == before


# Every kind of body that is no JSON object: servicekit's test_problem_details.
@pytest.mark.parametrize(
    "raw",
    [
        NOT_JSON_OBJECTS["truncated"],
        b'[{"name": "Ann Lee", "email": "ann@example.com", "password": "correct horse 1"}]',
    ],
    ids=["truncated", "list-of-valid-user"],
)
async def test_create_rejects_malformed_or_non_object_json(
    client: httpx.AsyncClient, api: str, sql: Sql, raw: bytes
) -> None:
    before = await count_users(sql)

    response = await client.post(
        f"{api}/users", content=raw, headers={"content-type": "application/json"}
    )

    assert_invalid(response)
    assert await count_users(sql) == before


# --- validation errors never echo the rejected input ---------------------------------

ECHO_REQUESTS: dict[str, Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]] = {
    "name": lambda client, api: client.post(f"{api}/users", json=valid_body(name=ECHO)),
    "name-in-list": lambda client, api: client.post(f"{api}/users", json=valid_body(name=[ECHO])),
    "email": lambda client, api: client.post(f"{api}/users", json=valid_body(email=ECHO)),
    "password": lambda client, api: client.post(f"{api}/users", json=valid_body(password=ECHO)),
    "avatar": lambda client, api: client.post(f"{api}/users", json=valid_body(avatar=ECHO)),
    "unknown-field": lambda client, api: client.post(
        f"{api}/users", json=valid_body(nickname=ECHO)
    ),
    "malformed-json": lambda client, api: client.post(
        f"{api}/users",
        content=('{"name": "' + ECHO).encode(),
        headers={"content-type": "application/json"},
    ),
    "q": lambda client, api: client.get(f"{api}/users", params={"q": ECHO}),
    "cursor": lambda client, api: client.get(f"{api}/users", params={"cursor": ECHO}),
    "limit": lambda client, api: client.get(f"{api}/users", params={"limit": ECHO}),
    "user-id": lambda client, api: client.get(f"{api}/users/{ECHO}"),
    "login-form": lambda client, api: client.post(
        f"{api}/auth/token", json={"username": ECHO, "password": ECHO}
    ),
}


@pytest.mark.parametrize("send", ECHO_REQUESTS.values(), ids=ECHO_REQUESTS.keys())
async def test_validation_error_does_not_echo_the_input(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    send: Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]],
) -> None:
    before = await count_users(sql)

    response = await send(client, api)

    assert_problem(response, 422)
    assert echoing_fields(response) == []
    assert await count_users(sql) == before


async def test_patch_validation_error_does_not_echo_the_input(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()

    response = await client.patch(
        f"{api}/users/{user.id}", json={"name": ECHO}, headers=user.headers
    )

    assert_invalid(response)
    assert echoing_fields(response) == []


# --- body size ------------------------------------------------------------------------


# Sizes far past the limit: servicekit's test_body_limit.
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_create_body_is_413_and_writes_nothing(
    client: httpx.AsyncClient, api: str, sql: Sql, streamed: bool
) -> None:
    before = await count_users(sql)
    raw = json.dumps(valid_body(name="n" * 2 * MIB)).encode()

    response = await client.post(
        f"{api}/users",
        content=chunks(raw) if streamed else raw,
        headers={"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert "n" * 100 not in response.text
    assert await count_users(sql) == before


async def test_body_just_under_the_limit_is_validated_not_refused(
    client: httpx.AsyncClient, api: str, sql: Sql
) -> None:
    before = await count_users(sql)
    raw = json.dumps(valid_body(name="n" * (MIB - 1000))).encode()
    assert len(raw) < MIB

    response = await client.post(
        f"{api}/users", content=raw, headers={"content-type": "application/json"}
    )

    assert_invalid(response)
    assert await count_users(sql) == before


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_patch_body_is_413_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    user_factory: "UserFactory",
    streamed: bool,
) -> None:
    user = await user_factory(name="Ann Lee")
    before = await get_me(client, api, user)
    raw = json.dumps({"name": "n" * 2 * MIB}).encode()

    response = await client.patch(
        f"{api}/users/{user.id}",
        content=chunks(raw) if streamed else raw,
        headers=user.headers | {"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert await get_me(client, api, user) == before
    assert await stored_name(sql, user.id) == "Ann Lee"


# --- update: invalid fields -----------------------------------------------------------

INVALID_PATCH = {
    "name-empty": {"name": ""},
    "name-blank": {"name": "   "},
    "name-101-chars": {"name": "n" * 101},
    "name-10000-chars": {"name": "n" * 10_000},
    "name-null": {"name": None},
    "name-int": {"name": 5},
    "email-invalid": {"email": "not-an-email"},
    "email-empty": {"email": ""},
    "email-null": {"email": None},
    "email-list": {"email": []},
    "password-7-chars": {"password": "p" * 7},
    "password-129-chars": {"password": "p" * 129},
    "password-null": {"password": None},
    "avatar-ftp": {"avatar": "ftp://cdn.example.com/a.png"},
    "avatar-2049-chars": {"avatar": "https://cdn.example.com/" + "a" * 2025},
    "unknown-field": {"role": "admin"},
    "id-field": {"id": 1},
    "valid-name-with-invalid-password": {"name": "Bo Brown", "password": "short"},
}


@pytest.mark.parametrize("changes", INVALID_PATCH.values(), ids=INVALID_PATCH.keys())
async def test_patch_rejects_invalid_field_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    user_factory: "UserFactory",
    changes: dict[str, Any],
) -> None:
    user = await user_factory(name="Ann Lee", password="correct horse 1")
    before = await get_me(client, api, user)

    response = await client.patch(f"{api}/users/{user.id}", json=changes, headers=user.headers)

    assert_invalid(response)
    assert await get_me(client, api, user) == before
    assert await stored_name(sql, user.id) == "Ann Lee"
    assert await can_log_in(client, api, user.email, "correct horse 1")


async def test_patch_rejects_a_body_that_is_no_json_object(
    client: httpx.AsyncClient, api: str, sql: Sql, user_factory: "UserFactory"
) -> None:
    user = await user_factory(name="Ann Lee")

    response = await client.patch(
        f"{api}/users/{user.id}",
        content=NOT_JSON_OBJECTS["list"],
        headers=user.headers | {"content-type": "application/json"},
    )

    assert_invalid(response)
    assert await stored_name(sql, user.id) == "Ann Lee"


# --- unknown routes and methods -------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "{api}/nope", "{api}/users/1/friends"])
async def test_unknown_route_is_404_problem(client: httpx.AsyncClient, api: str, path: str) -> None:
    response = await client.get(path.format(api=api))

    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "{api}/users"),
        ("DELETE", "{api}/users"),
        ("GET", "{api}/auth/token"),
        # /users/me is no user id: /users/{user_id}'s PATCH and DELETE do not take it.
        ("PATCH", "{api}/users/me"),
        ("DELETE", "{api}/users/me"),
    ],
)
async def test_wrong_method_is_405_problem(
    client: httpx.AsyncClient, api: str, sql: Sql, method: str, path: str
) -> None:
    before = await count_users(sql)

    response = await client.request(method, path.format(api=api), json=valid_body())

    assert_problem(response, 405)
    assert await count_users(sql) == before


# --- request ids ----------------------------------------------------------------------

ENDPOINTS = [
    pytest.param("/healthz", 200, id="healthz-200"),
    pytest.param("{api}/users", 200, id="list-200"),
    pytest.param("{api}/users/0", 422, id="problem-422"),
    pytest.param("{api}/users/me", 401, id="problem-401"),
    pytest.param("{api}/nope", 404, id="problem-404"),
]


def assert_generated_request_id(request_id: str) -> None:
    assert re.fullmatch(r"[0-9]{1,20}", request_id), request_id
    assert 0 < int(request_id) < 2**64


# Which ids are well formed, and that any other is replaced: servicekit's test_request_id
# and test_problem_details. Here: every kind of answer of users carries the id.
@pytest.mark.parametrize(("path", "status"), ENDPOINTS)
async def test_valid_request_id_is_echoed(
    client: httpx.AsyncClient, api: str, path: str, status: int
) -> None:
    request_id = "abc-123.DEF_9"
    response = await client.get(path.format(api=api), headers={"X-Request-ID": request_id})

    assert response.status_code == status, response.text
    assert response.headers["x-request-id"] == request_id
    if status >= 400:
        assert assert_problem(response, status)["request_id"] == request_id


@pytest.mark.parametrize(("path", "status"), ENDPOINTS)
async def test_invalid_request_id_is_replaced(
    client: httpx.AsyncClient, api: str, path: str, status: int
) -> None:
    request_id = "abc\nINFO fake"
    response = await client.get(path.format(api=api), headers={"X-Request-ID": request_id})

    assert response.status_code == status, response.text
    assert_generated_request_id(response.headers["x-request-id"])
    if status >= 400:
        body = assert_problem(response, status)
        assert "INFO fake" not in response.text
        assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(("path", "status"), ENDPOINTS)
async def test_requests_without_id_get_distinct_generated_ids(
    client: httpx.AsyncClient, api: str, path: str, status: int
) -> None:
    first = await client.get(path.format(api=api))
    second = await client.get(path.format(api=api))

    assert first.status_code == second.status_code == status
    assert_generated_request_id(first.headers["x-request-id"])
    assert_generated_request_id(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("q", ["a\x00b", "line\nbreak"], ids=["nul", "newline"])
async def test_search_rejects_control_characters(
    client: httpx.AsyncClient, api: str, q: str
) -> None:
    assert_invalid(await client.get(f"{api}/users", params={"q": q}))
