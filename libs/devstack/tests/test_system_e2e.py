"""The whole system as `make run` starts it: users, items and tasks as real uvicorn
processes behind real nginx, each on its own database (items on Postgres, tasks on
MariaDB), and one user's story through the gateway in both modes."""

import json
import secrets
import time
from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest

from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

MODES = {"async": "/api", "sync": "/sync/api"}


@pytest.fixture(scope="module")
def system(local_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_stack.gateway_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("mode", list(MODES))
def test_one_users_story_through_the_gateway(system: httpx.Client, mode: str) -> None:
    api = MODES[mode]
    email = f"story-{mode}-{secrets.token_hex(3)}@example.com"
    registered = system.post(
        f"{api}/users", json={"name": "Ada Lovelace", "email": email, "password": "analytical"}
    )
    assert registered.status_code == 201, registered.text
    user = registered.json()
    login = system.post(f"{api}/auth/token", data={"username": email, "password": "analytical"})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

    created = system.post(f"{api}/items", json={"title": "Difference engine"}, headers=auth)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["owner_id"] == user["id"]
    assert system.get(f"{api}/items/{item['id']}").json()["views"] == 1
    assert system.get(f"{api}/items/{item['id']}").json()["views"] == 2

    # The worker's periodic flush moves the two views into the database, where list
    # pages read them.
    deadline = time.monotonic() + 30
    while (
        system.get(f"{api}/items", params={"owner_id": user["id"]}).json()["items"][0]["views"] != 2
    ):
        assert time.monotonic() < deadline, "the views never reached the database"
        time.sleep(0.2)
    assert system.get(f"{api}/items/{item['id']}").json()["views"] == 3

    page = system.get(f"{api}/items", params={"owner_id": user["id"], "expand": "owner"})
    assert page.status_code == 200, page.text
    [listed] = page.json()["items"]
    assert listed["id"] == item["id"]
    assert listed["owner"] == {
        "id": user["id"],
        "name": "Ada Lovelace",
        "avatar": None,
        "created_at": user["created_at"],
    }

    task = system.post(f"{api}/tasks", json={"title": "Write the first program"}, headers=auth)
    assert task.status_code == 201, task.text
    done = system.put(f"{api}/tasks/{task.json()['id']}/done", headers=auth)
    assert done.status_code == 200, done.text
    assert done.json()["done"] is True
    undone = system.delete(f"{api}/tasks/{task.json()['id']}/done", headers=auth)
    assert undone.status_code == 200, undone.text
    assert undone.json()["done"] is False
    mine = system.get(f"{api}/tasks", headers=auth).json()["items"]
    assert [t["id"] for t in mine] == [task.json()["id"]]


def test_the_demo_data_is_there(system: httpx.Client) -> None:
    login = system.post(
        "/api/auth/token", data={"username": "demo@example.com", "password": "demo-password"}
    )
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert system.get("/api/users/me", headers=auth).json()["id"] == 1
    assert system.get("/api/items", params={"owner_id": 1}).json()["items"]
    assert system.get("/sync/api/tasks", headers=auth).json()["items"]


@pytest.mark.parametrize("mode", list(MODES))
def test_a_report_job_through_the_gateway(system: httpx.Client, mode: str) -> None:
    api = MODES[mode]
    login = system.post(
        f"{api}/auth/token", data={"username": "demo@example.com", "password": "demo-password"}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    body = {"kind": "reports.user_summary", "params": {"user_id": 1}}

    submitted = system.post(f"{api}/jobs", json=body, headers=auth | {"X-Request-ID": "report-1"})

    assert submitted.status_code == 202, submitted.text
    location = submitted.headers["location"]
    assert location == f"{api}/jobs/{submitted.json()['id']}"
    deadline = time.monotonic() + 60
    while (job := system.get(location, headers=auth).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    assert job["result"]["user"]["id"] == 1
    assert job["result"]["items"]["count"] > 0
    assert set(job["result"]["tasks"]) == {"open", "done"}
    mine = system.get(f"{api}/jobs", headers=auth).json()["items"]
    assert submitted.json()["id"] in [listed["id"] for listed in mine]


def bearer(login: httpx.Response) -> dict[str, str]:
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def refused_within_seconds(send: Callable[[], httpx.Response]) -> httpx.Response:
    deadline = time.monotonic() + 15
    while (response := send()).status_code != 401 and time.monotonic() < deadline:
        time.sleep(0.1)
    return response


@pytest.mark.parametrize("mode", list(MODES))
def test_a_password_change_logs_the_old_token_out_of_every_service(
    system: httpx.Client, mode: str
) -> None:
    api = MODES[mode]
    email = f"revoke-{mode}-{secrets.token_hex(3)}@example.com"
    user = system.post(
        f"{api}/users", json={"name": "Ada Lovelace", "email": email, "password": "analytical"}
    ).json()
    form = {"username": email, "password": "analytical"}
    old = bearer(system.post(f"{api}/auth/token", data=form))

    changed = system.patch(
        f"{api}/users/{user['id']}", json={"password": "engine 1843"}, headers=old
    )
    assert changed.status_code == 200, changed.text

    form["password"] = "engine 1843"
    new = bearer(system.post(f"{api}/auth/token", data=form))
    calls: dict[str, Callable[[dict[str, str]], httpx.Response]] = {
        "users": lambda auth: system.get(f"{api}/users/me", headers=auth),
        "items": lambda auth: system.post(f"{api}/items", json={"title": "Engine"}, headers=auth),
        "tasks": lambda auth: system.get(f"{api}/tasks", headers=auth),
        "jobs": lambda auth: system.get(f"{api}/jobs", headers=auth),
    }
    for service, call in calls.items():
        refused = refused_within_seconds(partial(call, old))
        assert refused.status_code == 401, f"{service}: {refused.text}"
        assert "revoked" in refused.json()["detail"], service
        assert call(new).is_success, f"{service} refused the new token"


def test_off_a_terminal_every_line_of_the_run_is_json(
    system: httpx.Client, local_stack: LocalStack
) -> None:
    # The suite's stack writes to a buffer, not a terminal: LOG_FORMAT=auto means JSON,
    # for the services and the worker, nginx, Prometheus, the one-off commands
    # (seeds) and the runner's own lines alike.
    system.get("/api/users")
    events = [json.loads(line) for line in local_stack.logs.getvalue().splitlines()]

    assert all(isinstance(event, dict) for event in events)
    assert all({"service", "level"} <= event.keys() for event in events)
    services = {event["service"] for event in events}
    assert {"devstack", "users seed", "users", "items", "tasks", "worker", "gateway"} <= services
