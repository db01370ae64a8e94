"""The whole system as `make run` starts it: users, items and tasks as real uvicorn
processes behind real nginx, each on its own database (items on Postgres, tasks on
MariaDB), and one user's story through the gateway in both modes."""

import contextlib
import dataclasses
import io
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.databases import drop_database
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.servers import RedisServer
from devstack.services import SERVICES
from devstack.stack import Stack
from devstack.supervisor import Supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

MODES = {"async": "/api", "sync": "/sync/api"}


@pytest.fixture(scope="module")
def system(postgres_server_url, mysql_server_url) -> Iterator[httpx.Client]:
    """Every service on a free port and a fresh database, and a Redis of its own (view
    counts start at zero); what `make run` does, step by step."""
    suffix = secrets.token_hex(3)
    services = tuple(
        dataclasses.replace(s, port=free_port(), database=f"{s.database}_e2e_{suffix}")
        if s.port is not None
        else s
        for s in SERVICES
    )
    output = io.StringIO()
    with contextlib.ExitStack() as exits:
        data = Path(exits.enter_context(_reachable_tempdir()))
        redis = exits.enter_context(RedisServer(data / "redis", free_port()))
        environ = {
            "PATH": "/usr/bin:/bin",
            "POSTGRES_URL": postgres_server_url,
            "MYSQL_URL": mysql_server_url,
            "REDIS_URL": redis.url,
            "GATEWAY_PORT": str(free_port()),
            "FLUSH_INTERVAL_SECONDS": "1",
        }
        stack = Stack(repo_root(), environ, Supervisor(output), exits, services, data=data)
        for service in services:
            if service.database is None:
                continue
            server = postgres_server_url if service.backend == "postgres" else mysql_server_url
            exits.callback(drop_database, server, service.database)
        stack.check_ports()
        servers = {kind: stack.server_url(kind) for kind in stack.needed_kinds()}
        exits.enter_context(stack.supervisor)
        for service in services:
            stack.start_service(service, servers)
        gateway = stack.start_gateway()
        with httpx.Client(base_url=gateway.url, timeout=10) as client:
            yield client


@contextlib.contextmanager
def _reachable_tempdir() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="system-e2e-")
    Path(folder).chmod(0o755)  # Postgres and nginx workers run as other users
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("mode", list(MODES))
def test_one_users_story_through_the_gateway(system: httpx.Client, mode: str):
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


def test_the_demo_data_is_there(system: httpx.Client):
    login = system.post(
        "/api/auth/token", data={"username": "demo@example.com", "password": "demo-password"}
    )
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert system.get("/api/users/me", headers=auth).json()["id"] == 1
    assert system.get("/api/items", params={"owner_id": 1}).json()["items"]
    assert system.get("/sync/api/tasks", headers=auth).json()["items"]


@pytest.mark.parametrize("mode", list(MODES))
def test_a_report_job_through_the_gateway(system: httpx.Client, mode: str):
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
