"""The users story end to end: real nginx (the gateway template) in front of a real
uvicorn process, on each database, in both modes."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from devstack.gateway import Gateway
from devstack.ports import free_port
from testkit.apps import MODES
from testkit.assertions import assert_problem
from testkit.raw_http import RawResponse, exchange

if TYPE_CHECKING:
    from .conftest import SpawnUsers

pytestmark = pytest.mark.e2e

SNOWFLAKE = re.compile(r"\d{1,20}")
NGINX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def gateway(
    fresh_database_url: str, spawn_users: "SpawnUsers", tmp_path: Path
) -> Iterator[httpx.Client]:
    users = spawn_users(fresh_database_url).removeprefix("http://")
    # items and tasks are not running: their upstreams point at unused ports.
    upstreams = {"users": users} | {name: f"127.0.0.1:{free_port()}" for name in ("items", "tasks")}
    nginx = Gateway(tmp_path / "gateway", f"127.0.0.1:{free_port()}", upstreams)
    with nginx, httpx.Client(base_url=nginx.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("mode", list(MODES))
def test_the_users_story_through_the_gateway(gateway: httpx.Client, mode: str) -> None:
    api = MODES[mode]
    email = f"story-{mode}@example.com"
    body = {"name": "Grace Hopper", "email": email, "password": "cobol-1959"}

    created = gateway.post(f"{api}/users", json=body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert created.headers["location"] == f"{api}/users/{user['id']}"
    assert_problem(gateway.post(f"{api}/users", json=body), 409)

    login = gateway.post(f"{api}/auth/token", data={"username": email, "password": "cobol-1959"})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

    me = gateway.get(f"{api}/users/me", headers=auth)
    assert me.json() == user
    found = gateway.get(f"{api}/users", params={"q": "grace h"}).json()["items"]
    assert [item["id"] for item in found] == [user["id"]]

    path = f"{api}/users/{user['id']}"
    renamed = gateway.patch(path, json={"name": "Rear Admiral"}, headers=auth)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Rear Admiral"

    assert gateway.delete(path, headers=auth).status_code == 204
    assert_problem(gateway.get(path), 404)
    assert_problem(gateway.get(f"{api}/users/me", headers=auth), 401)


def test_the_gateway_refuses_large_bodies_with_a_problem(gateway: httpx.Client) -> None:
    large = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for api in MODES.values():
        response = gateway.post(
            f"{api}/users", content=large, headers={"content-type": "application/json"}
        )
        assert_problem(response, 413)


def test_request_ids_through_the_gateway(gateway: httpx.Client) -> None:
    made_by_gateway = gateway.get("/api/users").headers["x-request-id"]
    assert NGINX_ID.fullmatch(made_by_gateway)

    kept = gateway.get("/sync/api/users", headers={"X-Request-ID": "client-42.a_b"})
    assert kept.headers["x-request-id"] == "client-42.a_b"

    replaced = gateway.get("/api/users/0", headers={"X-Request-ID": "abc INFO fake"})
    body = assert_problem(replaced, 422)
    assert "INFO" not in replaced.headers["x-request-id"]
    assert body["request_id"] == replaced.headers["x-request-id"]

    unknown = assert_problem(gateway.get("/api/nothing-here"), 404)
    assert unknown["request_id"]


# --- methods ------------------------------------------------------------------------------

# Methods outside the API's. uvicorn's parser answers the first kind with a plain-text
# 400 of its own and hands the WebDAV-like ones to the app; nginx refuses a malformed
# token itself (400), and CONNECT and TRACE with a 405.
UNKNOWN_METHODS = [
    *("FOO", "BREW", "PRI", "G_T", "X" * 40),
    *("PROPFIND", "M-SEARCH", "PURGE", "QUERY"),
]
MALFORMED_METHODS = ["get", "GE(T", "GET\x01", "G\xc3\xa9T"]


API_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
REFUSED = [
    *((method, 405) for method in UNKNOWN_METHODS),
    *((method, 400) for method in MALFORMED_METHODS),
    ("CONNECT", 405),
    ("TRACE", 405),
]


def send(gateway: httpx.Client, method: str, path: str) -> RawResponse:
    request = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    return exchange(gateway.base_url.netloc.decode(), request.encode("latin-1"))


# One test, one users process: the cases are many and each is a single exchange.
@pytest.mark.parametrize("database_backend", ["postgres"])
def test_a_method_outside_the_api_is_a_problem_from_the_gateway(gateway: httpx.Client) -> None:
    wrong = []
    for method, status in REFUSED:
        for path in ["/api/users", "/sync/api/users/1", "/healthz", "/nowhere"]:
            response = send(gateway, method, path)
            try:
                assert response.status == status
                assert response.headers["content-type"] == "application/problem+json"
                problem = json.loads(response.body)
                assert problem["status"] == status
                assert problem["request_id"] == response.headers["x-request-id"]
                if status == 405:
                    assert response.headers["allow"] == API_METHODS
            except (AssertionError, KeyError, ValueError):
                wrong.append((method, path, response))
    assert not wrong, "\n".join(map(repr, wrong))

    # The API's own methods still reach the service: its answers, not the gateway's.
    assert send(gateway, "GET", "/api/users").body.startswith(b'{"items":')
    assert send(gateway, "HEAD", "/api/users").status == 200
    for method in ("OPTIONS", "DELETE"):
        answered = send(gateway, method, "/api/users")
        assert answered.status == (204 if method == "OPTIONS" else 405)
        assert answered.headers["allow"] == "GET, HEAD, OPTIONS, POST"
