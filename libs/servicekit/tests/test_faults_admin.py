"""`/admin/fault`: only with FAULTS_ENABLED, only with the token, only good values, and
never in the OpenAPI document."""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis
from fastapi import APIRouter

from servicecontracts.faults import Fault, fault_key

if TYPE_CHECKING:
    from .conftest import Serve

router = APIRouter()


@router.get("/api/ping")
async def ping() -> dict[str, Any]:
    return {"pong": True}


METHODS = ["GET", "PUT", "DELETE"]
SOME_FAULT: dict[str, Any] = {"latency_ms": 10, "error_rate": 0.0, "slow_statement_ms": 0}


@pytest.fixture
def key(fault_settings: dict[str, Any]) -> str:
    return fault_key(fault_settings["service_name"])


@pytest.fixture
def stored(redis_client: redis.Redis, key: str) -> Iterator[Callable[[], Fault | None]]:
    """`stored()`: the fault in Redis, or None; the key is removed after the test."""

    def read() -> Fault | None:
        raw = redis_client.get(key)
        return Fault.model_validate_json(raw) if raw else None

    yield read
    redis_client.delete(key)


async def test_put_sets_the_fault_in_redis_and_here_and_delete_clears_both(
    serve: "Serve",
    fault_settings: dict[str, Any],
    admin_headers: dict[str, str],
    stored: Callable[[], Fault | None],
) -> None:
    async with serve([router], **fault_settings) as client:
        put = await client.put("/admin/fault", json=SOME_FAULT, headers=admin_headers)
        in_redis = stored()
        read = await client.get("/admin/fault", headers=admin_headers)
        deleted = await client.delete("/admin/fault", headers=admin_headers)
        after = await client.get("/admin/fault", headers=admin_headers)

    assert (put.status_code, put.json()) == (200, SOME_FAULT)
    assert in_redis == Fault(latency_ms=10)
    assert read.json() == SOME_FAULT
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert after.json() == Fault().model_dump()
    assert stored() is None


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token-of-some-length",
        "Bearer test-fault-admin-token-and-more",
        "Bearer test-fault-admin-toke",
        "Basic test-fault-admin-token",
        "test-fault-admin-token",
        "Bearer ",
    ],
)
async def test_without_the_token_nothing_is_read_or_changed(
    serve: "Serve",
    fault_settings: dict[str, Any],
    admin_headers: dict[str, str],
    stored: Callable[[], Fault | None],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
    authorization: str | None,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with serve([router], **fault_settings) as client:
        await client.put("/admin/fault", json=SOME_FAULT, headers=admin_headers)
        body = {"latency_ms": 5000} if method == "PUT" else None
        refused = await client.request(method, "/admin/fault", json=body, headers=headers)
        shown = (await client.get("/admin/fault", headers=admin_headers)).json()

    check_problem(refused, 401)
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert shown == SOME_FAULT
    assert stored() == Fault(**SOME_FAULT)


async def test_the_token_is_checked_before_the_body(
    serve: "Serve",
    fault_settings: dict[str, Any],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    async with serve([router], **fault_settings) as client:
        refused = await client.put("/admin/fault", content=b"{not json")

    check_problem(refused, 401)


@pytest.mark.parametrize(
    "body",
    [
        b'{"latency_ms": -1}',
        b'{"latency_ms": 60001}',
        b'{"error_rate": 1.01}',
        b'{"error_rate": "often"}',
        b'{"slow_statement_ms": -5}',
        b'{"latency_ms": 100, "jitter_ms": 5}',
        b"{not json",
        b"[100]",
        b"",
    ],
)
async def test_bad_values_are_a_422_problem_and_change_nothing(
    serve: "Serve",
    fault_settings: dict[str, Any],
    admin_headers: dict[str, str],
    stored: Callable[[], Fault | None],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    body: bytes,
) -> None:
    async with serve([router], **fault_settings) as client:
        await client.put("/admin/fault", json=SOME_FAULT, headers=admin_headers)
        refused = await client.put("/admin/fault", content=body, headers=admin_headers)
        shown = (await client.get("/admin/fault", headers=admin_headers)).json()

    problem = check_problem(refused, 422)
    assert all(error["loc"][0] == "body" for error in problem["errors"])
    assert shown == SOME_FAULT
    assert stored() == Fault(**SOME_FAULT)


@pytest.mark.parametrize("method", METHODS)
async def test_without_faults_enabled_the_route_does_not_exist(
    serve: "Serve",
    fault_settings: dict[str, Any],
    admin_headers: dict[str, str],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
) -> None:
    disabled = {**fault_settings, "faults_enabled": False}
    async with serve([router], **disabled) as client:
        missing = await client.request(method, "/admin/fault", headers=admin_headers)

    check_problem(missing, 404)


async def test_without_faults_enabled_a_fault_in_redis_does_nothing(
    serve: "Serve", fault_settings: dict[str, Any], redis_client: redis.Redis, key: str
) -> None:
    redis_client.set(key, Fault(error_rate=1.0).model_dump_json())
    try:
        async with serve([router], **{**fault_settings, "faults_enabled": False}) as client:
            answers = [(await client.get("/api/ping")).status_code for _ in range(20)]
            metrics = (await client.get("/metrics")).text
    finally:
        redis_client.delete(key)

    assert set(answers) == {200}
    assert "servicekit_fault_active" not in metrics


async def test_the_openapi_document_is_the_same_with_faults_enabled(
    serve: "Serve", fault_settings: dict[str, Any]
) -> None:
    async with serve([router], **fault_settings) as client:
        enabled = (await client.get("/openapi.json")).json()
    async with serve([router], **{**fault_settings, "faults_enabled": False}) as client:
        disabled = (await client.get("/openapi.json")).json()

    assert enabled == disabled
    assert "/admin/fault" not in enabled["paths"]
