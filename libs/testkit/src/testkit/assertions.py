"""What every service's answers must look like: RFC 9457 problems with the request id."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Asserts an RFC 9457 problem of this status that carries the request id; returns it."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert all(isinstance(body[key], str) and body[key] for key in ("type", "title", "detail"))
    assert body["request_id"] == response.headers["x-request-id"]
    for error in body.get("errors", []):
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str)
        assert isinstance(error["type"], str)
    if status == 401:
        assert "Bearer" in response.headers.get("www-authenticate", "")
    return body


def assert_invalid(response: httpx.Response) -> dict[str, Any]:
    """Asserts a 422 validation problem that says which fields; returns it."""
    body = assert_problem(response, 422)
    assert body["errors"]
    return body


async def first_with_status(
    send: Callable[[], Awaitable[httpx.Response]], status: int, within_seconds: float = 15.0
) -> httpx.Response:
    """`send()` again every 0.1 s until it answers `status`; the last answer after
    `within_seconds` (the caller asserts on it). For what takes effect within seconds."""
    deadline = time.monotonic() + within_seconds
    while True:
        response = await send()
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


@pytest.fixture(name="assert_problem")
def _assert_problem_fixture() -> Callable[[httpx.Response, int], dict[str, Any]]:
    return assert_problem


@pytest.fixture(name="assert_invalid")
def _assert_invalid_fixture() -> Callable[[httpx.Response], dict[str, Any]]:
    return assert_invalid
