"""`reports.user_summary` against real users, items and tasks processes: the summary
is right, a worker killed in the middle of one stores its result once, and a report that
cannot be made says why."""

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.keys import MintToken
from testkit.processes import SpawnUvicorn

if TYPE_CHECKING:
    from .conftest import JobTable, Worker


@dataclass
class System:
    users: str
    items: str
    tasks: str

    def worker_env(self) -> dict[str, str]:
        return {"USERS_URL": self.users, "ITEMS_URL": self.items, "TASKS_URL": self.tasks}


@pytest.fixture
def system(
    spawn_uvicorn: SpawnUvicorn,
    users_database: str,
    items_databases: dict[str, str],
    job_table: "JobTable",
    broker_url: str,
    jwt_private_key: str,
) -> System:
    users = spawn_uvicorn(
        "users_service.main:app", DATABASE_URL=users_database, JWT_PRIVATE_KEY=jwt_private_key
    )
    items = spawn_uvicorn(
        "items_service.main:app", DATABASE_URL=items_databases["postgres"], USERS_URL=users
    )
    tasks = spawn_uvicorn(
        "tasks_service.main:app",
        DATABASE_URL=job_table.engine.url.render_as_string(hide_password=False),
        REDIS_URL=broker_url,
    )
    return System(users, items, tasks)


@dataclass
class Someone:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def someone_with_things(system: System, mint_token: MintToken) -> Someone:
    """A registered user with two items and three tasks, one of them done."""
    email = f"report-{time.monotonic_ns()}@example.com"
    registered = httpx.post(
        f"{system.users}/api/users",
        json={"name": "Grace Hopper", "email": email, "password": "compilers!"},
    )
    assert registered.status_code == 201, registered.text
    person = Someone(registered.json()["id"], mint_token(str(registered.json()["id"])))
    for title in ("Mark I", "Mark II"):
        created = httpx.post(
            f"{system.items}/api/items", json={"title": title}, headers=person.headers
        )
        assert created.status_code == 201, created.text
    for title in ("Find the moth", "Write COBOL", "Teach"):
        created = httpx.post(
            f"{system.tasks}/api/tasks", json={"title": title}, headers=person.headers
        )
        assert created.status_code == 201, created.text
    done = httpx.put(
        f"{system.tasks}/api/tasks/{created.json()['id']}/done", headers=person.headers
    )
    assert done.status_code == 200, done.text
    return person


def submit_report(system: System, person: Someone, request_id: str | None = None) -> str:
    body = {"kind": "reports.user_summary", "params": {"user_id": person.id}}
    headers = person.headers | ({"X-Request-ID": request_id} if request_id else {})
    response = httpx.post(f"{system.tasks}/api/jobs", json=body, headers=headers)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def wait_for_job(
    system: System, person: Someone, job_id: str, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = httpx.get(
            f"{system.tasks}/api/jobs/{job_id}", headers=person.headers
        ).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}"
        time.sleep(0.2)


def test_a_report_sums_up_a_user_across_services(
    system: System,
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    mint_token: MintToken,
    job_table: "JobTable",
) -> None:
    person = someone_with_things(system, mint_token)
    spawn_worker(broker_url, **system.worker_env())

    job = wait_for_job(system, person, submit_report(system, person))

    assert job["status"] == "succeeded", job
    report = job["result"]
    assert report["user"]["id"] == person.id
    assert report["user"]["name"] == "Grace Hopper"
    assert "email" not in report["user"]  # the public profile only
    assert report["items"] == {"count": 2, "views": 0}
    assert report["tasks"] == {"open": 2, "done": 1}
    assert job_table.get(int(job["id"]))["submitter_token"] is None


def test_a_worker_killed_in_the_middle_of_a_report_stores_it_once(
    system: System,
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    mint_token: MintToken,
    job_table: "JobTable",
) -> None:
    person = someone_with_things(system, mint_token)
    # The first worker's users never answers (it takes connections and says nothing),
    # so its report hangs in that call until the worker is killed.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        hanging = system.worker_env() | {
            "USERS_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "SERVICE_TIMEOUT_SECONDS": "30",
        }
        first = spawn_worker(broker_url, "w1", **hanging)
        job_id = submit_report(system, person, request_id="report-req-1")
        silent.settimeout(30)
        call, _address = silent.accept()
        with call:
            # The report's call carries the submitting request's id on.
            request = call.recv(65536).decode().lower()
            assert request.startswith(f"get /api/users/{person.id} ")
            assert "\r\nx-request-id: report-req-1\r\n" in request
            assert job_table.get(int(job_id))["status"] == "running"
            first.kill()
    spawn_worker(broker_url, "w2", **system.worker_env())

    # Back in the queue after the visibility timeout (10 s here).
    job = wait_for_job(system, person, job_id)
    assert job["status"] == "succeeded", job
    record = job_table.get(int(job_id))
    assert record["attempts"] == 2
    assert record["result"]["tasks"] == {"open": 2, "done": 1}


def test_a_report_with_an_expired_token_fails_and_says_why(
    system: System,
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    mint_token: MintToken,
    job_table: "JobTable",
) -> None:
    person = someone_with_things(system, mint_token)
    short_lived = Someone(person.id, mint_token(str(person.id), expires_in=2))
    job_id = submit_report(system, short_lived)  # accepted while the token is valid
    time.sleep(3)
    spawn_worker(broker_url, **system.worker_env())

    job = wait_for_job(system, person, job_id)

    assert job["status"] == "failed"
    assert job["error"] == "the submitter's token expired before the report ran"
    assert job["result"] is None


def test_a_report_retries_a_service_that_is_down_then_says_which(
    system: System, broker_url: str, spawn_worker: "Callable[..., Worker]", mint_token: MintToken
) -> None:
    person = someone_with_things(system, mint_token)
    with socket.create_server(("127.0.0.1", 0)) as closed:
        items_gone = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = system.worker_env() | {"ITEMS_URL": items_gone, "JOB_MAX_RETRIES": "1"}
    spawn_worker(broker_url, **env)

    job = wait_for_job(system, person, submit_report(system, person))

    assert job["status"] == "failed"
    assert job["error"] == "gave up after 2 tries: items is unavailable: connection refused"
