"""The database goes away (or freezes) under a running uvicorn process, and comes back.

Requests must fail fast with a 503 problem (never hang, never a 500), /readyz must say
what is unavailable meanwhile (staying 200, `degraded`: the replica keeps its place in
its Service, servicekit.web.health says why), and the service must recover by itself once
the database returns.
"""

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from devstack.databases import create_database, with_database
from devstack.ports import free_port
from devstack.servers import LocalServer, MariaDBServer, PostgresServer
from testkit.databases import migrate

if TYPE_CHECKING:
    from .conftest import SpawnUsers

POOL_TIMEOUT_SECONDS = 5
PATHS = ("/api/users", "/sync/api/users")

pytestmark = pytest.mark.e2e


@pytest.fixture(params=[PostgresServer, MariaDBServer], ids=["postgres", "mysql"])
def own_server(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """A database server of this test's own, which it may stop and start."""
    # Not tmp_path: that is private to root, and Postgres runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="users-outage-"))
    root.chmod(0o755)
    try:
        with request.param(root / "db", free_port()) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def users_process(own_server: LocalServer, alembic_ini: Path, spawn_users: "SpawnUsers") -> str:
    create_database(own_server.url, "users")
    database_url = with_database(own_server.url, "users")
    migrate(alembic_ini, database_url)
    return spawn_users(database_url, DB_POOL_TIMEOUT=str(POOL_TIMEOUT_SECONDS))


def test_outage_gives_fast_503_and_recovers(own_server: LocalServer, users_process: str) -> None:
    with httpx.Client(base_url=users_process, timeout=30) as client:
        for path in PATHS:
            assert client.get(path).status_code == 200
        assert client.get("/readyz").status_code == 200

        own_server.stop()
        for _ in range(2):  # pooled connections die first, then new ones are refused
            for path in PATHS:
                response = client.get(path)
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["request_id"] == response.headers["x-request-id"]
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["database"] == "unavailable"

        own_server.start()
        deadline = time.monotonic() + 15
        while client.get("/readyz").json()["status"] != "ok":
            assert time.monotonic() < deadline, "the service did not become ready again"
            time.sleep(0.2)
        for path in PATHS:
            # A dead pooled connection may cost one more 503 before the pool is renewed.
            statuses = [client.get(path).status_code for _ in range(3)]
            assert statuses[-1] == 200, statuses
            assert set(statuses) <= {200, 503}, statuses


# A frozen server answers nothing and no server-side timeout fires, so only the clients'
# deadlines end the calls: 1 s here, with the server cancelling statements at 0.5 s.
DEADLINES = {
    "DB_CALL_TIMEOUT": "1",
    "DB_STATEMENT_TIMEOUT_MS": "500",
    "DB_CONNECT_TIMEOUT": "1",
    "DB_POOL_TIMEOUT": "2",
    # The registrations of this test must not run into the per-address limit.
    "REGISTRATIONS_PER_ADDRESS": "10000/hour",
}
PREFIXES = ("/api", "/sync/api")


@pytest.fixture
def users_with_deadlines(
    own_server: LocalServer, alembic_ini: Path, spawn_users: "SpawnUsers"
) -> Iterator[str]:
    create_database(own_server.url, "users")
    database_url = with_database(own_server.url, "users")
    migrate(alembic_ini, database_url)
    yield spawn_users(database_url, **DEADLINES)
    own_server.thaw()  # a test cut short frozen must not leave a server that cannot stop


def register(client: httpx.Client, prefix: str) -> httpx.Response:
    body = {"name": "Frozen Fran", "email": f"{uuid.uuid4().hex}@example.com"}
    return client.post(f"{prefix}/users", json=body | {"password": "correct horse 1"})


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    # "Backend unavailable" when asyncpg cannot connect: it raises the OS's TimeoutError.
    assert response.json()["title"] in {"Database unavailable", "Backend unavailable"}
    assert response.json()["request_id"] == response.headers["x-request-id"]


@pytest.mark.timeout(240)
def test_a_frozen_database_gives_503s_not_hangs_and_loses_nothing_acknowledged(
    own_server: LocalServer, users_with_deadlines: str
) -> None:
    acknowledged: list[int] = []
    statuses: list[int] = []
    stop = threading.Event()

    def trickle() -> None:
        # Registrations all along, so some are inside a statement when the server stops.
        with httpx.Client(base_url=users_with_deadlines, timeout=30) as client:
            while not stop.is_set():
                for prefix in PREFIXES:
                    response = register(client, prefix)
                    statuses.append(response.status_code)
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])

    writers = [threading.Thread(target=trickle) for _ in range(2)]
    with httpx.Client(base_url=users_with_deadlines, timeout=30) as client:
        for prefix in PREFIXES:
            assert register(client, prefix).status_code == 201
            assert client.get(f"{prefix}/users").status_code == 200
        for writer in writers:
            writer.start()
        try:
            with own_server.frozen():
                # Pooled connections time out first, then new ones cannot connect.
                for _ in range(2):
                    for prefix in PREFIXES:
                        assert_unavailable(client.get(f"{prefix}/users"))
                        assert_unavailable(register(client, prefix))
            # No restart: the service answers again, on connections that work.
            deadline = time.monotonic() + 30
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the service did not become ready again"
                time.sleep(0.2)
            for _ in range(3):
                for prefix in PREFIXES:
                    assert client.get(f"{prefix}/users").status_code == 200
                    assert register(client, prefix).status_code == 201
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        assert set(statuses) <= {201, 503}, statuses
        assert 503 in statuses, "no registration met the frozen server"
        # Every registration the service acknowledged is there.
        for user_id in acknowledged:
            assert client.get(f"/api/users/{user_id}").status_code == 200, user_id
