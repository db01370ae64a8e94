"""Every error of an app made by `create_app` is an RFC 9457 problem carrying the request id."""

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import pytest
import redis.exceptions
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc, text

from servicekit.core.errors import (
    Conflict,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    Unauthorized,
)
from servicekit.core.ids import parse
from servicekit.web.sessions import SessionDep, SyncSessionDep
from testkit.bad_input import NOT_JSON_OBJECTS

if TYPE_CHECKING:
    from .conftest import Serve

SECRET = "hunter2-secret-detail"
SLEEP_2S = {"postgres": "SELECT pg_sleep(2)", "mysql": "SELECT SLEEP(2)"}
UNEXPECTED = "An unexpected error occurred; it has been logged."


class Gone(ServiceError):
    status = 410
    title = "Gone"
    type = "https://errors.example.test/gone"


class WidgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=20)]
    count: Annotated[int, Field(ge=0, le=1000)]


router = APIRouter()


@router.get("/things/{thing_id}")
async def read_thing(thing_id: int) -> dict[str, Any]:
    raise NotFound(f"Thing {thing_id} does not exist")


@router.get("/gone")
async def read_gone() -> dict[str, Any]:
    raise Gone()


@router.post("/conflict")
async def make_conflict() -> dict[str, Any]:
    raise Conflict("That name is taken")


@router.get("/private")
async def read_private() -> dict[str, Any]:
    raise Unauthorized("A bearer token is required")


@router.get("/busy")
async def read_busy() -> dict[str, Any]:
    raise ServiceUnavailable("Try later", retry_after=7)


@router.get("/boom")
async def explode() -> dict[str, Any]:
    raise RuntimeError(SECRET)


@router.get("/sync-boom")
def explode_in_a_thread() -> dict[str, Any]:
    raise RuntimeError(SECRET)


@router.get("/db-down")
async def lose_the_database() -> dict[str, Any]:
    raise exc.OperationalError("SELECT secret", {}, ConnectionError(SECRET))


@router.get("/db-bug")
async def break_a_query() -> dict[str, Any]:
    raise exc.ProgrammingError("SELECT secret", {}, Exception(SECRET))


@router.get("/redis-down")
async def lose_redis() -> dict[str, Any]:
    raise redis.exceptions.ConnectionError(SECRET)


@router.get("/http-error")
async def raise_http_error() -> dict[str, Any]:
    raise HTTPException(418, detail={"secret": SECRET})


@router.post("/widgets", status_code=201)
async def create_widget(widget: WidgetCreate) -> WidgetCreate:
    return widget


@router.post("/sync-widgets", status_code=201)
def create_widget_in_a_thread(widget: WidgetCreate) -> WidgetCreate:
    return widget


@router.get("/db/async")
async def query_async(session: SessionDep) -> dict[str, Any]:
    return {"one": (await session.execute(text("SELECT 1"))).scalar()}


@router.get("/db/sync")
def query_sync(session: SyncSessionDep) -> dict[str, Any]:
    return {"one": session.execute(text("SELECT 1")).scalar()}


@router.get("/db/slow/async/{backend}")
async def query_slowly_async(backend: str, session: SessionDep) -> dict[str, Any]:
    await session.execute(text(SLEEP_2S[backend]))
    return {}


@router.get("/db/slow/sync/{backend}")
def query_slowly_sync(backend: str, session: SyncSessionDep) -> dict[str, Any]:
    session.execute(text(SLEEP_2S[backend]))
    return {}


@pytest.fixture
async def client(serve: "Serve") -> AsyncIterator[httpx.AsyncClient]:
    async with serve([router]) as c:
        yield c


@pytest.fixture
async def tolerant_client(serve: "Serve") -> AsyncIterator[httpx.AsyncClient]:
    """Sees the 500 that Starlette sends before it re-raises the error."""
    async with serve([router], raise_app_exceptions=False) as c:
        yield c


async def test_a_domain_error_is_a_problem(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/things/7")
    body = check_problem(response, 404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Thing 7 does not exist",
        "request_id": response.headers["x-request-id"],
    }


async def test_a_domain_error_keeps_its_type_and_default_detail(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    body = check_problem(await client.get("/gone"), 410)
    assert body["type"] == "https://errors.example.test/gone"
    assert body["title"] == body["detail"] == "Gone"


async def test_a_conflict_is_a_409(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    assert check_problem(await client.post("/conflict"), 409)["detail"] == "That name is taken"


async def test_unauthorized_asks_for_a_bearer_token(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/private")
    check_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="services"'


async def test_service_unavailable_says_when_to_retry(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/busy")
    check_problem(response, 503)
    assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize("path", ["/boom", "/sync-boom"])
async def test_an_unexpected_error_is_a_500_that_hides_its_text(
    tolerant_client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    path: str,
) -> None:
    response = await tolerant_client.get(path)
    body = check_problem(response, 500)  # exactly one X-Request-ID, equal to the body's
    assert body["detail"] == UNEXPECTED
    assert SECRET not in response.text
    assert "Traceback" not in response.text


async def test_an_unexpected_error_keeps_the_callers_request_id(
    tolerant_client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    response = await tolerant_client.get("/boom", headers={"X-Request-ID": "trace-me.42"})
    assert check_problem(response, 500)["request_id"] == "trace-me.42"


async def test_an_unavailable_database_is_a_503(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/db-down")
    check_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    assert SECRET not in response.text


async def test_another_database_error_is_a_500_that_hides_its_text(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/db-bug")
    assert check_problem(response, 500)["detail"] == UNEXPECTED
    assert SECRET not in response.text


async def test_an_unavailable_redis_is_a_503(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/redis-down")
    assert check_problem(response, 503)["title"] == "Redis unavailable"
    assert response.headers["retry-after"] == "1"
    assert SECRET not in response.text


async def test_an_http_exception_is_a_problem_without_its_structured_detail(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.get("/http-error")
    assert check_problem(response, 418)["detail"] == "I'm a Teapot"
    assert SECRET not in response.text


async def test_an_unknown_path_is_a_404_problem(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    check_problem(await client.get("/no/such/path"), 404)


async def test_a_wrong_method_is_a_405_problem(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.delete("/gone")
    check_problem(response, 405)
    # servicekit.web.methods: GET, with the HEAD and OPTIONS every path takes beside it.
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


async def test_a_valid_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/widgets", json={"name": "bolt", "count": 3})
    assert response.status_code == 201, response.text
    assert response.json() == {"name": "bolt", "count": 3}


@pytest.mark.parametrize(
    ("body", "locations"),
    [
        ({"name": SECRET * 3, "count": 1}, [["body", "name"]]),
        ({"name": "bolt", "count": SECRET}, [["body", "count"]]),
        ({"name": "bolt", "count": 10**30}, [["body", "count"]]),
        ({"name": "bolt"}, [["body", "count"]]),
        ({"name": "bolt", "count": 1, "note": SECRET}, [["body", "note"]]),
        ({"name": ["x"] * 1000, "count": -1}, [["body", "name"], ["body", "count"]]),
        ([SECRET], [["body"]]),
    ],
    ids=["too-long", "wrong-type", "huge", "missing", "unknown-field", "two-errors", "not-object"],
)
async def test_invalid_input_is_a_422_that_never_echoes_it(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    body: object,
    locations: list[list[str]],
) -> None:
    response = await client.post("/widgets", json=body)
    problem = check_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == locations
    assert problem["detail"] == f"{len(locations)} invalid field{'s' if len(locations) > 1 else ''}"
    assert all(error.keys() == {"loc", "msg", "type"} for error in problem["errors"])
    assert SECRET not in response.text
    assert '"input"' not in response.text


async def test_malformed_json_is_a_422_that_never_echoes_it(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    response = await client.post(
        "/widgets", content=f'{{"name": "{SECRET}", ', headers={"Content-Type": "application/json"}
    )
    check_problem(response, 422)
    assert SECRET not in response.text


@pytest.mark.parametrize("path", ["/widgets", "/sync-widgets"])
@pytest.mark.parametrize(
    "raw",
    [*NOT_JSON_OBJECTS.values(), b'[{"name": "bolt", "count": 3}]'],
    ids=[*NOT_JSON_OBJECTS, "list-of-a-valid-body"],
)
async def test_a_body_that_is_no_json_object_is_a_422(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    path: str,
    raw: bytes,
) -> None:
    response = await client.post(path, content=raw, headers={"Content-Type": "application/json"})
    check_problem(response, 422)


async def test_a_well_formed_request_id_is_kept(
    client: httpx.AsyncClient, check_problem: Callable[[httpx.Response, int], dict[str, Any]]
) -> None:
    sent = "gateway-7f3a.b_2"
    response = await client.get("/things/1", headers={"X-Request-ID": sent})
    assert check_problem(response, 404)["request_id"] == sent
    widget = {"name": "a", "count": 0}
    ok = await client.post("/widgets", json=widget, headers={"X-Request-ID": sent})
    assert ok.status_code == 201
    assert ok.headers.get_list("x-request-id") == [sent]


@pytest.mark.parametrize(
    "sent",
    [
        None,
        b"",
        b"has space",
        b"a" * 65,
        b"<script>alert(1)</script>",
        "ümlaut".encode(),
        b"id;rm -rf",
    ],
    ids=["absent", "empty", "space", "too-long", "markup", "non-ascii", "semicolon"],
)
async def test_a_missing_or_malformed_request_id_is_replaced_by_a_snowflake(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    sent: bytes | None,
) -> None:
    headers = {} if sent is None else {b"X-Request-ID": sent}
    response = await client.get("/things/1", headers=headers)
    made = check_problem(response, 404)["request_id"]
    assert made.isascii()
    assert made.isdigit()
    assert parse(int(made))[1] == 5  # the app's pinned worker id


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    ids = [(await client.get("/healthz")).headers["x-request-id"] for _ in range(20)]
    assert len(set(ids)) == len(ids)
    assert [int(made) for made in ids] == sorted(int(made) for made in ids)


@pytest.mark.parametrize("path", ["/db/async", "/db/sync"])
async def test_a_database_that_is_down_is_a_503(
    serve: "Serve",
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    backend: str,
    closed_port: int,
    path: str,
) -> None:
    server = {"postgres": "postgresql://postgres", "mysql": "mysql://root"}[backend]
    database_url = f"{server}@127.0.0.1:{closed_port}/app"
    async with serve([router], raise_app_exceptions=False, database_url=database_url) as client:
        response = await client.get(path)
    check_problem(response, 503)
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_a_statement_timeout_is_a_503(
    serve: "Serve",
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    database_url: str,
    backend: str,
    mode: str,
) -> None:
    async with serve(
        [router], raise_app_exceptions=False, database_url=database_url, db_statement_timeout_ms=200
    ) as client:
        response = await client.get(f"/db/slow/{mode}/{backend}")
    body = check_problem(response, 503)
    assert body["title"] == "Database unavailable"
    assert response.headers["retry-after"] == "1"
