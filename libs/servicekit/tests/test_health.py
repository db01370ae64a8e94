"""Liveness from memory; readiness from the database and Redis, bounded in time, and
sticky once ready (servicekit.web.health says why)."""

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from devstack.ports import free_port
from devstack.servers import RedisServer

if TYPE_CHECKING:
    from .conftest import Serve


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: a hung server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


async def test_healthz_answers_without_backends(serve: "Serve", closed_port: int) -> None:
    dead = f"127.0.0.1:{closed_port}"
    async with serve(
        database_url=f"postgresql://postgres@{dead}/app", redis_url=f"redis://{dead}/0"
    ) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers.get_list("x-request-id")


async def test_readyz_is_ok_when_both_answer(serve: "Serve", database_url: str) -> None:
    async with serve(database_url=database_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_readyz_without_redis_is_a_503(
    serve: "Serve", check_problem: Callable[[httpx.Response, int], dict[str, Any]], closed_port: int
) -> None:
    async with serve(redis_url=f"redis://127.0.0.1:{closed_port}/0") as client:
        response = await client.get("/readyz")
    body = check_problem(response, 503)
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert "redis" in body["detail"]


async def test_readyz_without_the_database_is_a_503(
    serve: "Serve",
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    backend: str,
    closed_port: int,
) -> None:
    server = {"postgres": "postgresql://postgres", "mysql": "mysql://root"}[backend]
    async with serve(database_url=f"{server}@127.0.0.1:{closed_port}/app") as client:
        response = await client.get("/readyz")
    body = check_problem(response, 503)
    assert body["checks"] == {"database": "unavailable", "redis": "ok"}
    assert "database" in body["detail"]


async def test_readyz_does_not_wait_for_a_hung_database(
    serve: "Serve",
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    backend: str,
    silent_port: int,
) -> None:
    server = {"postgres": "postgresql://postgres", "mysql": "mysql://root"}[backend]
    url = f"{server}@127.0.0.1:{silent_port}/app"
    async with serve(database_url=url, db_connect_timeout=30) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        waited = time.monotonic() - started
    body = check_problem(response, 503)
    assert body["checks"]["database"] == "unavailable"
    # The probe gives up on its own bound instead of the 30 s connect timeout.
    assert waited < 10


async def test_readyz_does_not_wait_for_a_hung_redis(
    serve: "Serve", check_problem: Callable[[httpx.Response, int], dict[str, Any]], silent_port: int
) -> None:
    async with serve(redis_url=f"redis://127.0.0.1:{silent_port}/0", redis_timeout=30) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        waited = time.monotonic() - started
    body = check_problem(response, 503)
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert waited < 10


async def test_once_ready_an_outage_is_degraded_not_unready(serve: "Serve", tmp_path: Path) -> None:
    # Every replica shares Redis: falling unready with it would empty the Service.
    with RedisServer(tmp_path / "redis", free_port()) as redis:
        async with serve(redis_url=redis.url) as client:
            assert (await client.get("/readyz")).json()["status"] == "ok"
            redis.stop()
            try:
                during = await client.get("/readyz")
            finally:
                redis.start()
            after = await client.get("/readyz")
    assert during.status_code == 200, during.text
    assert during.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "unavailable"},
    }
    assert after.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_health_routes_are_gets_only(
    serve: "Serve", check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    async with serve() as client:
        check_problem(await client.post("/healthz"), 405)
        check_problem(await client.post("/readyz"), 405)
