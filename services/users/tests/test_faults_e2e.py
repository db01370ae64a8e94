"""The fault switch of a real users process (uvicorn, uvloop, httptools) behind real
nginx, on each database, in both modes: switched on and off at run time through the
service's own port and through Redis, never through the gateway; and refused at start
without its token.

Durations are lower bounds only: a request under a fault of t ms took at least t ms.
What happens before any SQL runs (the admin route, an injected error, the switch in
Redis) is tested on Postgres alone; a slow statement on both."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import redis

from devstack.gateway import Gateway
from devstack.ports import free_port
from devstack.servers import RedisServer
from servicecontracts.faults import Fault, fault_key
from testkit.apps import MODES
from testkit.assertions import assert_problem
from testkit.backends import before_any_sql

if TYPE_CHECKING:
    from .conftest import SpawnUsers

pytestmark = pytest.mark.e2e

TOKEN = "e2e-fault-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
WAIT_SECONDS = 30.0


@pytest.fixture
def users_url(fresh_database_url: str, spawn_users: "SpawnUsers", own_redis: RedisServer) -> str:
    # A Redis of its own: `faults:users` in a shared one is any local bench's switch.
    return spawn_users(
        fresh_database_url, REDIS_URL=own_redis.url, FAULTS_ENABLED="true", FAULT_ADMIN_TOKEN=TOKEN
    )


@pytest.fixture
def gateway(users_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    # items and tasks are not running: their upstreams point at unused ports.
    upstreams = {"users": users_url.removeprefix("http://")}
    upstreams |= {name: f"127.0.0.1:{free_port()}" for name in ("items", "tasks")}
    nginx = Gateway(tmp_path / "gateway", f"127.0.0.1:{free_port()}", upstreams)
    with nginx, httpx.Client(base_url=nginx.url, timeout=WAIT_SECONDS) as client:
        yield client


@pytest.fixture
def direct(users_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=users_url, timeout=WAIT_SECONDS) as client:
        yield client


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = call()
    return response, time.perf_counter() - start


def wait_for(status: int, call: Callable[[], httpx.Response]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while call().status_code != status:
        assert time.monotonic() < deadline, f"never {status}"
        time.sleep(0.05)


@before_any_sql
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_the_admin_route_is_out_of_the_gateways_reach(
    gateway: httpx.Client, direct: httpx.Client, method: str
) -> None:
    body = {"latency_ms": 100} if method == "PUT" else None
    for headers in ({}, ADMIN):
        assert_problem(gateway.request(method, "/admin/fault", json=body, headers=headers), 404)
        assert_problem(gateway.request(method, "/api/../admin/fault", headers=headers), 404)
    # It is there, on the service's own port, for the token only.
    assert_problem(direct.request(method, "/admin/fault", json=body), 401)
    assert direct.request(method, "/admin/fault", json=body, headers=ADMIN).is_success
    assert direct.get("/admin/fault", headers=ADMIN).json() == (
        Fault(latency_ms=100).model_dump() if method == "PUT" else Fault().model_dump()
    )


@pytest.mark.parametrize("mode", list(MODES))
def test_latency_and_a_slow_statement_through_the_gateway(
    gateway: httpx.Client, direct: httpx.Client, mode: str
) -> None:
    users = f"{MODES[mode]}/users"

    assert direct.put("/admin/fault", json={"latency_ms": 300}, headers=ADMIN).is_success
    slowed, seconds = timed(lambda: gateway.get(users))
    assert slowed.status_code == 200
    assert seconds >= 0.3

    assert direct.put("/admin/fault", json={"slow_statement_ms": 400}, headers=ADMIN).is_success
    slowed, seconds = timed(lambda: gateway.get(users))
    assert slowed.status_code == 200
    assert seconds >= 0.4
    assert gateway.get("/healthz").status_code == 200
    assert direct.get("/readyz").status_code == 200  # its database read is no session's

    metrics = direct.get("/metrics").text
    assert 'servicekit_fault_active{kind="slow_statement_seconds",service="users"} 0.4' in metrics


@before_any_sql
@pytest.mark.parametrize("mode", list(MODES))
def test_an_injected_error_writes_nothing_and_delete_ends_it(
    gateway: httpx.Client, direct: httpx.Client, mode: str
) -> None:
    users = f"{MODES[mode]}/users"
    body = {"name": "Ada", "email": f"fault-{mode}@example.com", "password": "analytical-1843"}

    assert direct.put("/admin/fault", json={"error_rate": 1.0}, headers=ADMIN).is_success
    refused = gateway.post(users, json=body)
    assert assert_problem(refused, 503)["title"] == "Injected fault"

    assert direct.delete("/admin/fault", headers=ADMIN).status_code == 204
    # Not written by the refused request: the address is still free.
    assert gateway.post(users, json=body).status_code == 201


@before_any_sql
def test_the_fault_follows_redis_without_a_restart(
    gateway: httpx.Client, own_redis: RedisServer
) -> None:
    client = redis.Redis.from_url(own_redis.url)
    try:
        client.set(fault_key("users"), Fault(error_rate=1.0).model_dump_json())
        wait_for(503, lambda: gateway.get("/api/users"))
        client.set(fault_key("users"), b"{not a fault")  # logged, and no fault
        wait_for(200, lambda: gateway.get("/sync/api/users"))
        client.set(fault_key("users"), Fault(error_rate=1.0).model_dump_json())
        wait_for(503, lambda: gateway.get("/sync/api/users"))
        client.delete(fault_key("users"))
        wait_for(200, lambda: gateway.get("/api/users"))
    finally:
        client.close()


@pytest.mark.parametrize("token", [None, "too-short"])
def test_faults_enabled_without_a_token_stops_the_start_with_one_line(
    jwt_private_key: str, jwt_public_key: str, token: str | None
) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/never-reached",
        "JWT_PRIVATE_KEY": jwt_private_key,
        "JWT_PUBLIC_KEY": jwt_public_key,
        "FAULTS_ENABLED": "true",
    }
    environment.pop("FAULT_ADMIN_TOKEN", None)
    if token:
        environment["FAULT_ADMIN_TOKEN"] = token
    argv = [sys.executable, "-m", "uvicorn", "users_service.main:app", "--port", "0"]

    done = subprocess.run(
        argv, env=environment, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "UsersSettings: FAULTS_ENABLED=true needs FAULT_ADMIN_TOKEN, at least 16 characters"
    ]
    assert "too-short" not in done.stderr
