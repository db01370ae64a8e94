"""Bodies over `max_body_bytes` are refused with a 413 problem, declared or chunked."""

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

if TYPE_CHECKING:
    from .conftest import Serve

LIMIT = 1024


class Blob(BaseModel):
    data: str


router = APIRouter()


@router.post("/blobs")
async def store_blob(blob: Blob) -> dict[str, Any]:
    return {"length": len(blob.data)}


@router.post("/sync/blobs")
def store_blob_sync(blob: Blob) -> dict[str, Any]:
    return {"length": len(blob.data)}


@router.post("/raw")
async def store_raw(request: Request) -> dict[str, Any]:
    return {"length": len(await request.body())}


def json_of_size(size: int) -> bytes:
    """A JSON body of exactly `size` bytes."""
    overhead = len(b'{"data":""}')
    return b'{"data":"' + b"x" * (size - overhead) + b'"}'


async def chunked(body: bytes, chunk: int = 100) -> AsyncIterator[bytes]:
    for start in range(0, len(body), chunk):
        yield body[start : start + chunk]


@pytest.fixture
async def client(serve: "Serve") -> AsyncIterator[httpx.AsyncClient]:
    async with serve([router], max_body_bytes=LIMIT) as c:
        yield c


HEADERS = {"Content-Type": "application/json"}


@pytest.mark.parametrize("path", ["/blobs", "/sync/blobs", "/raw"])
async def test_a_declared_body_over_the_limit_is_a_413(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    path: str,
) -> None:
    response = await client.post(path, content=json_of_size(LIMIT + 1), headers=HEADERS)
    body = check_problem(response, 413)
    assert str(LIMIT) in body["detail"]


@pytest.mark.parametrize("path", ["/blobs", "/sync/blobs", "/raw"])
async def test_a_chunked_body_over_the_limit_is_a_413(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    path: str,
) -> None:
    request = client.build_request(
        "POST", path, content=chunked(json_of_size(LIMIT * 4)), headers=HEADERS
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"

    response = await client.send(request)

    body = check_problem(response, 413)
    assert str(LIMIT) in body["detail"]


@pytest.mark.parametrize("size", [LIMIT, LIMIT - 1, 20])
@pytest.mark.parametrize("path", ["/blobs", "/sync/blobs", "/raw"])
async def test_a_body_within_the_limit_passes(
    client: httpx.AsyncClient, path: str, size: int
) -> None:
    body = json_of_size(size)
    declared = await client.post(path, content=body, headers=HEADERS)
    streamed = await client.post(path, content=chunked(body), headers=HEADERS)
    expected = size if path == "/raw" else size - len(b'{"data":""}')
    for response in (declared, streamed):
        assert response.status_code == 200, response.text
        assert response.json() == {"length": expected}
        assert response.headers.get_list("x-request-id")


async def test_a_lying_content_length_is_still_counted(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    """A Content-Length under the limit does not let a longer body through."""

    async def receive_oversized() -> AsyncIterator[bytes]:
        yield json_of_size(LIMIT * 2)

    request = client.build_request("POST", "/raw", content=receive_oversized(), headers=HEADERS)
    request.headers["Content-Length"] = "10"
    check_problem(await client.send(request), 413)
