"""items and users as real processes: `?expand=owner` brings the owners' profiles, a users
that is stopped or stalled makes it a 503 within the timeout (never a hang), and the
request id travels from items to users.

Each test runs in both modes (each has its own client of users), on Postgres, where
both are deployed: what items does with users' answers is no database's, and the pages
and queries behind them run on both databases in test_list_api.py.
"""

import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.ports import wait_until_closed
from testkit.apps import MODES
from testkit.backends import only_on
from testkit.databases import throwaway_database
from testkit.keys import MintToken
from testkit.processes import SpawnUvicorn

pytestmark = [pytest.mark.e2e, only_on("postgres")]

USERS_TIMEOUT_SECONDS = 1
USERS_ALEMBIC_INI = Path(__file__).parents[2] / "users" / "alembic.ini"


def child_serving(base_url: str) -> int:
    """The pid of the uvicorn child of this process that serves `base_url`."""
    port = str(httpx.URL(base_url).port).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"uvicorn" in argv and port in argv:
            return int(entry.name)
    raise AssertionError(f"no uvicorn child serves {base_url}")


@dataclass
class Users:
    url: str
    pid: int
    log: Path


@pytest.fixture
def users(
    database_backend: str,
    server_urls: dict[str, str],
    spawn_uvicorn: SpawnUvicorn,
    jwt_private_key: str,
    tmp_path: Path,
) -> Iterator[Users]:
    """A real users process on a migrated database of its own."""
    server = server_urls[database_backend]
    with throwaway_database(server, "users_for_items", USERS_ALEMBIC_INI) as database_url:
        url = spawn_uvicorn(
            "users_service.main:app",
            DATABASE_URL=database_url,
            JWT_PRIVATE_KEY=jwt_private_key,
            PYTHONUNBUFFERED="1",  # its log is read while it runs
        )
        port = httpx.URL(url).port
        yield Users(url, child_serving(url), tmp_path / f"users_service-{port}.log")


@pytest.fixture
def items(
    fresh_database_url: str, spawn_uvicorn: SpawnUvicorn, users: Users, views_key_prefix: str
) -> str:
    """A real items process that asks the users process for profiles."""
    return spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        USERS_URL=users.url,
        USERS_TIMEOUT_SECONDS=str(USERS_TIMEOUT_SECONDS),
        VIEWS_KEY_PREFIX=views_key_prefix,
    )


@dataclass
class Story:
    """Three accounts with items: ann (3 items), bob (2), and cy (1) whose account is gone."""

    profiles: dict[int, dict[str, Any]]
    items: list[dict[str, Any]]
    gone: int


def register(client: httpx.Client, name: str, **fields: object) -> dict[str, Any]:
    body = {"name": name, "email": f"{secrets.token_hex(6)}@example.com"}
    response = client.post("/api/users", json=body | {"password": "correct horse 1"} | fields)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


@pytest.fixture
def story(users: Users, items: str, mint_token: MintToken) -> Story:
    with httpx.Client(base_url=users.url, timeout=10) as to_users:
        ann = register(to_users, "Ann Lee", avatar="https://cdn.example.com/ann.png")
        bob = register(to_users, "Bob Brown")
        cy = register(to_users, "Cy Young")
        profiles = {
            user["id"]: to_users.get(f"/api/users/{user['id']}").json() for user in (ann, bob)
        }
        made = []
        with httpx.Client(base_url=items, timeout=10) as to_items:
            for user, count in ((ann, 3), (bob, 2), (cy, 1)):
                headers = {"Authorization": f"Bearer {mint_token(str(user['id']))}"}
                for n in range(count):
                    response = to_items.post(
                        "/api/items", json={"title": f"{user['name']} {n}"}, headers=headers
                    )
                    assert response.status_code == 201, response.text
                    made.append(response.json())
        headers = {"Authorization": f"Bearer {mint_token(str(cy['id']))}"}
        assert to_users.delete(f"/api/users/{cy['id']}", headers=headers).status_code == 204
    return Story(profiles, made, cy["id"])


def assert_unavailable(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["title"] == "Dependency unavailable"
    assert "users" in body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# --- expand=owner ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(MODES))
def test_expand_owner_brings_the_owners_profiles(items: str, story: Story, mode: str) -> None:
    api = MODES[mode]
    with httpx.Client(base_url=items, timeout=10) as client:
        for item in story.items:
            response = client.get(f"{api}/items/{item['id']}", params={"expand": "owner"})
            assert response.status_code == 200, response.text
            expected = story.profiles.get(item["owner_id"])  # None: the account is gone
            assert response.json() == item | {"views": response.json()["views"], "owner": expected}

        page = client.get(f"{api}/items", params={"expand": "owner", "limit": 100})
        assert page.status_code == 200, page.text
        listed = page.json()["items"]
        assert [entry["id"] for entry in listed] == [item["id"] for item in story.items]
        for entry, item in zip(listed, story.items, strict=True):
            assert entry == item | {"owner": story.profiles.get(item["owner_id"])}

        plain = client.get(f"{api}/items", params={"limit": 100}).json()["items"]
        assert plain == story.items


@pytest.mark.parametrize("mode", list(MODES))
def test_expand_owner_pages_follow_their_cursor(items: str, story: Story, mode: str) -> None:
    api = MODES[mode]
    seen = []
    with httpx.Client(base_url=items, timeout=10) as client:
        params: dict[str, str | int] = {"expand": "owner", "limit": 2}
        for _ in range(len(story.items)):
            page = client.get(f"{api}/items", params=params).json()
            seen += page["items"]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
    assert [entry["id"] for entry in seen] == [item["id"] for item in story.items]
    assert all(entry["owner"] == story.profiles.get(entry["owner_id"]) for entry in seen)


# --- users down or stalled ------------------------------------------------------------


@pytest.mark.parametrize("mode", list(MODES))
def test_users_stopped_makes_expand_a_fast_503(
    items: str, users: Users, story: Story, mode: str
) -> None:
    api = MODES[mode]
    os.kill(users.pid, signal.SIGTERM)
    port = httpx.URL(users.url).port
    assert port is not None
    assert wait_until_closed("127.0.0.1", port)
    item = story.items[0]
    with httpx.Client(base_url=items, timeout=30) as client:
        for path in (f"{api}/items/{item['id']}", f"{api}/items"):
            assert_unavailable(client.get(path, params={"expand": "owner"}))
            # Without expand, users is not needed.
            assert client.get(path).status_code == 200


@pytest.mark.parametrize("mode", list(MODES))
def test_users_stalled_makes_expand_a_503_within_the_timeout(
    items: str, users: Users, story: Story, mode: str
) -> None:
    api = MODES[mode]
    item = story.items[0]
    with httpx.Client(base_url=items, timeout=30) as client:
        os.kill(users.pid, signal.SIGSTOP)  # accepts connections, answers nothing
        try:
            for path in (f"{api}/items/{item['id']}", f"{api}/items"):
                body = assert_unavailable(client.get(path, params={"expand": "owner"}))
                # Its own deadline ended the call: users was never going to answer.
                assert f"no answer within {USERS_TIMEOUT_SECONDS} s" in body["detail"]
        finally:
            os.kill(users.pid, signal.SIGCONT)

        recovered = client.get(f"{api}/items/{item['id']}", params={"expand": "owner"})
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["owner"] == story.profiles[item["owner_id"]]


# --- request ids ----------------------------------------------------------------------


def users_requests_with_id(log: Path, request_id: str) -> list[str]:
    """`GET /api/users/7 200` for each access line of users with this request id."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [
        f"{line['method']} {line['path']} {line['status']}"
        for line in lines
        if line.get("request_id") == request_id and line.get("logger") == "access"
    ]


@pytest.mark.parametrize("mode", list(MODES))
def test_the_request_id_travels_from_items_to_users(
    items: str, users: Users, story: Story, mode: str
) -> None:
    api = MODES[mode]
    request_id = f"items-e2e-{mode}-{secrets.token_hex(4)}"
    with httpx.Client(base_url=items, timeout=10) as client:
        response = client.get(
            f"{api}/items", params={"expand": "owner"}, headers={"X-Request-ID": request_id}
        )
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == request_id

    # One call per distinct owner, each under the request id items was given.
    expected = {f"GET /api/users/{owner_id} " for owner_id in {i["owner_id"] for i in story.items}}
    deadline = time.monotonic() + 5
    while True:
        seen = users_requests_with_id(users.log, request_id)
        if all(any(call in line for line in seen) for call in expected):
            break
        assert time.monotonic() < deadline, f"users logged {seen} for {request_id}"
        time.sleep(0.1)
