"""The database goes away under a running uvicorn process, and comes back.

Requests must fail fast with a 503 problem (never hang, never a 500), /readyz must say
what is unavailable meanwhile (staying 200, `degraded`: the replica keeps its place in
its Service, servicekit.health says why), and the service must recover by itself once
the database returns.
"""

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.databases import create_database, with_database
from devstack.ports import free_port
from devstack.servers import MariaDBServer, PostgresServer
from testkit.databases import migrate

POOL_TIMEOUT_SECONDS = 5
PATHS = ("/api/users", "/sync/api/users")

pytestmark = pytest.mark.e2e


@pytest.fixture(params=[PostgresServer, MariaDBServer], ids=["postgres", "mysql"])
def own_server(request) -> Iterator:
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
def users_process(own_server, alembic_ini: Path, spawn_users) -> str:
    create_database(own_server.url, "users")
    database_url = with_database(own_server.url, "users")
    migrate(alembic_ini, database_url)
    return spawn_users(database_url, DB_POOL_TIMEOUT=str(POOL_TIMEOUT_SECONDS))


def test_outage_gives_fast_503_and_recovers(own_server, users_process: str):
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
