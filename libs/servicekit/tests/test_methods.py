"""What a path allows is answered for the path as a whole: `Allow` names the methods of
every route of the path, OPTIONS is a 204 with it, HEAD answers as GET without a body,
and a path a route spells out is never taken for a parameter of another."""

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client.parser import text_string_to_metric_families

from servicekit.web.inputs import id_path

if TYPE_CHECKING:
    from .conftest import Serve

router = APIRouter(prefix="/api")
if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    ThingId = int
else:
    ThingId = id_path("A thing's id")


@router.get("/things")
async def list_things() -> list[dict[str, Any]]:
    return []


@router.post("/things", status_code=201)
async def create_thing() -> dict[str, Any]:
    return {"id": 1}


@router.get("/things/summary")
async def summarize_things() -> dict[str, Any]:
    return {"count": 0}


@router.get("/things/{thing_id}")
async def read_thing(thing_id: ThingId) -> dict[str, Any]:
    return {"id": thing_id, "name": "Lantern"}


@router.patch("/things/{thing_id}")
async def update_thing(thing_id: ThingId) -> dict[str, Any]:
    return {"id": thing_id}


@router.delete("/things/{thing_id}", status_code=204)
async def delete_thing(thing_id: ThingId) -> None:
    return None


@router.get("/sync/things/{thing_id}")
def read_thing_sync(thing_id: ThingId) -> dict[str, Any]:
    return {"id": thing_id}


@pytest.fixture
async def client(serve: "Serve") -> AsyncIterator[httpx.AsyncClient]:
    async with serve([router]) as client:
        yield client


async def test_options_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/things/1")

    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
    assert response.content == b""
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("method", ["PUT", "POST", "TRACE", "QUERY"])
async def test_a_method_the_path_lacks_is_405_naming_all_it_takes(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
) -> None:
    response = await client.request(method, "/api/things/1")

    check_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"


async def test_a_path_a_route_spells_out_is_not_a_parameter(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    # /things/{thing_id} takes PATCH, but "summary" is no thing's id: a 405, not a 422.
    patched = await client.patch("/api/things/summary", json={})

    check_problem(patched, 405)
    assert patched.headers["allow"] == "GET, HEAD, OPTIONS"
    assert (await client.get("/api/things/summary")).json() == {"count": 0}
    assert (await client.options("/api/things/summary")).headers["allow"] == "GET, HEAD, OPTIONS"


async def test_head_answers_as_get_without_the_body(client: httpx.AsyncClient) -> None:
    got = await client.get("/api/things/7")
    head = await client.head("/api/things/7")

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]
    # A def handler's answer, and a probe's.
    assert (await client.head("/api/sync/things/7")).status_code == 200
    assert (await client.head("/healthz")).status_code == 200


async def test_head_of_an_invalid_id_is_the_gets_422_without_a_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.head("/api/things/abc")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content == b""


async def test_unknown_paths_are_still_404(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    check_problem(await client.options("/api/nope"), 404)
    check_problem(await client.put("/api/things/1/parts"), 404)


async def test_answers_made_here_count_under_their_route(client: httpx.AsyncClient) -> None:
    await client.put("/api/things/1")
    await client.head("/api/things/1")
    await client.options("/api/things/1")

    samples = {
        family.name: family.samples
        for family in text_string_to_metric_families((await client.get("/metrics")).text)
    }["http_requests"]
    counted = {
        (sample.labels["method"], sample.labels["route"])
        for sample in samples
        if sample.name == "http_requests_total" and sample.value
    }
    route = "/api/things/{thing_id}"
    assert {("PUT", route), ("HEAD", route), ("OPTIONS", route)} <= counted
