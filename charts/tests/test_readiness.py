"""A shared dependency's blip does not empty every Service.

Every replica of every service shares Redis and its database server: if readiness fell
with them, each Service would lose all its endpoints at once and the gateway would
answer 502 for every route, reads that need no Redis included, instead of the 503
problems the app answers by itself. The chart's readiness probe asks /readyz, which
stays 200 (`degraded`) once the process has been ready; a kubelet cannot run here, so
the test asks that path of a real users process the way the probe would (its path and
timeout from the render) while a Redis of the test's own is stopped for 5 s, and sends
real requests through real nginx (the gateway's template) meanwhile.
"""

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.databases import create_database, drop_database, with_database
from devstack.gateway import Gateway
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.servers import RedisServer
from servicekit.web.health import READINESS_TIMEOUT_SECONDS
from testkit.assertions import assert_problem
from testkit.databases import migrate
from testkit.processes import SpawnUvicorn

SERVICES = ("users", "items", "tasks")
BLIP_SECONDS = 5

pytestmark = pytest.mark.timeout(120)


def deployments(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in documents
        if d["kind"] == "Deployment"
    }


def probes_of(documents: list[dict[str, Any]], component: str) -> dict[str, dict[str, Any]]:
    (container,) = deployments(documents)[component]["spec"]["template"]["spec"]["containers"]
    return {kind: container[kind] for kind in ("readinessProbe", "livenessProbe", "startupProbe")}


@pytest.mark.parametrize("service", SERVICES)
def test_readiness_asks_readyz_and_tolerates_a_slow_answer_or_two(
    default_render: list[dict[str, Any]], service: str
) -> None:
    probes = probes_of(default_render, service)
    readiness = probes["readinessProbe"]

    assert readiness["httpGet"]["path"] == "/readyz"
    # /readyz checks its dependencies concurrently, each within READINESS_TIMEOUT_SECONDS:
    # the probe waits longer than that, so only a process that cannot answer fails it.
    assert readiness["timeoutSeconds"] > READINESS_TIMEOUT_SECONDS
    # One or two slow answers (a CPU-throttled burst, a pause) keep the replica in its
    # Service: every replica shares the load, so a hair trigger would empty it too.
    assert readiness["failureThreshold"] >= 3
    # Liveness never does I/O: a dependency's outage must not restart anything.
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"


@pytest.fixture
def throwaway_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, which it stops and starts (never the shared one)."""
    with (
        tempfile.TemporaryDirectory(prefix="readiness-redis-") as folder,
        RedisServer(Path(folder) / "redis", free_port()) as server,
    ):
        yield server


@pytest.fixture
def users_process(
    server_urls: dict[str, str],
    spawn_uvicorn: SpawnUvicorn,
    jwt_private_key: str,
    throwaway_redis: RedisServer,
) -> Iterator[str]:
    """A real users process on a migrated database of its own and the throwaway Redis."""
    server = server_urls["postgres"]
    name = f"readiness_{free_port()}_{time.monotonic_ns() % 10**6}"
    create_database(server, name)
    try:
        database_url = with_database(server, name)
        migrate(repo_root() / "services" / "users" / "alembic.ini", database_url)
        yield spawn_uvicorn(
            "users_service.main:app",
            DATABASE_URL=database_url,
            JWT_PRIVATE_KEY=jwt_private_key,
            REDIS_URL=throwaway_redis.url,
        )
    finally:
        drop_database(server, name)


@pytest.fixture
def gateway(tmp_path: Path, users_process: str) -> Iterator[str]:
    address = users_process.removeprefix("http://")
    upstreams = dict.fromkeys(SERVICES, address)
    with Gateway(tmp_path / "gateway", f"127.0.0.1:{free_port()}", upstreams) as running:
        yield running.url


def login(client: httpx.Client) -> httpx.Response:
    credentials = {"username": "nobody@example.com", "password": "not the password"}
    return client.post("/api/auth/token", data=credentials)


def test_a_redis_blip_leaves_every_replica_ready_and_the_gateway_reaching_it(
    default_render: list[dict[str, Any]],
    throwaway_redis: RedisServer,
    users_process: str,
    gateway: str,
) -> None:
    readiness = probes_of(default_render, "users")["readinessProbe"]
    probe = httpx.Client(base_url=users_process, timeout=readiness["timeoutSeconds"])
    client = httpx.Client(base_url=gateway, timeout=30)
    with probe, client:
        assert probe.get(readiness["httpGet"]["path"]).json()["status"] == "ok"
        assert login(client).status_code == 401  # counted in Redis, then refused

        throwaway_redis.stop()
        stopped = time.monotonic()
        answers, readiness_answers = [], []
        while time.monotonic() - stopped < BLIP_SECONDS:
            readiness_answers.append(probe.get(readiness["httpGet"]["path"]))
            answers += [client.get("/api/users"), login(client)]
            time.sleep(0.2)
        throwaway_redis.start()

        # What the kubelet saw: ready throughout, and told why the replica is degraded.
        assert {r.status_code for r in readiness_answers} == {200}
        assert {r.json()["status"] for r in readiness_answers} == {"degraded"}
        assert readiness_answers[-1].json()["checks"]["redis"] == "unavailable"
        # What clients saw through the gateway: the app's own answers, never a 502.
        reads = [r for r in answers if r.request.method == "GET"]
        logins = [r for r in answers if r.request.method == "POST"]
        assert {r.status_code for r in reads} == {200}  # a read needs no Redis
        for response in logins:
            problem = assert_problem(response, 503)
            # The service's problem (the gateway's own 503 has neither).
            assert problem["title"] != "Service Unavailable"
            assert response.headers["retry-after"] == "1"

        # Redis is back: the limit is counted again, and readiness says ok.
        assert login(client).status_code == 401
        assert probe.get(readiness["httpGet"]["path"]).json()["status"] == "ok"
