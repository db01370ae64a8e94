"""The OpenAPI document of an app made by `create_app` says what it answers: each error
an operation can give as an `application/problem+json` problem of one `Problem` schema,
with its headers, and integer bounds as the integers they are."""

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import jsonschema
import pytest
from fastapi import APIRouter
from pydantic import Field

from servicekit.core.errors import Conflict, TooManyRequests
from servicekit.web.auth import CurrentUser
from servicekit.web.inputs import MAX_ID, InputModel, id_path, one_line
from servicekit.web.openapi import PROBLEM_MEDIA_TYPE, problem_responses
from servicekit.web.sessions import SessionDep
from servicekit.web.state import RedisDep
from testkit.keys import MintToken

if TYPE_CHECKING:
    from .conftest import Serve

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    Name = str
    ThingId = int
else:
    Name = one_line(20)
    ThingId = id_path("A thing's id")


class Thing(InputModel):
    name: Name
    owner_id: int = Field(ge=1, le=MAX_ID)


router = APIRouter(prefix="/api")


@router.post("/things", status_code=201, responses=problem_responses(Conflict, TooManyRequests))
async def create_thing(body: Thing, principal: CurrentUser, session: SessionDep) -> dict[str, Any]:
    raise Conflict("Such a thing exists")


@router.get("/things/{thing_id}")
async def read_thing(thing_id: ThingId, redis: RedisDep) -> dict[str, Any]:
    return {"id": thing_id}


@router.get("/ping")
async def ping() -> dict[str, Any]:
    return {"pong": True}


@pytest.fixture
async def served(serve: "Serve") -> AsyncIterator[tuple[httpx.AsyncClient, httpx.Response]]:
    async with serve([router]) as client:
        response = await client.get("/openapi.json")
        assert response.status_code == 200
        yield client, response


@pytest.fixture
def document(served: tuple[httpx.AsyncClient, httpx.Response]) -> dict[str, Any]:
    body: dict[str, Any] = served[1].json()
    return body


def statuses(document: dict[str, Any], path: str, method: str) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = document["paths"][path][method]["responses"]
    return result


def test_every_error_an_operation_gives_is_documented(document: dict[str, Any]) -> None:
    assert set(statuses(document, "/api/things", "post")) == {
        "201",  # its own
        "400",  # a body that cannot be read
        "401",  # a token is required
        "409",  # its own rule, declared with problem_responses
        "413",  # a body over the limit
        "422",  # invalid input
        "429",  # its own rule
        "503",  # it uses the database
    }
    assert set(statuses(document, "/api/things/{thing_id}", "get")) == {"200", "404", "422", "503"}
    assert set(statuses(document, "/api/ping", "get")) == {"200"}
    assert set(statuses(document, "/healthz", "get")) == {"200"}
    assert set(statuses(document, "/readyz", "get")) == {"200", "503"}


def test_errors_are_problems_of_one_schema_not_json(document: dict[str, Any]) -> None:
    errors = [
        (path, method, status, response)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if status >= "400"
    ]
    assert len(errors) > 10
    for path, method, status, response in errors:
        where = f"{method} {path} {status}"
        assert response["content"] == {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}, where
        assert response["description"], where
    schemas = document["components"]["schemas"]
    assert "Problem" in schemas
    # FastAPI's own 422 schemas are gone with the application/json 422s.
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


def test_the_headers_of_a_problem_are_documented(document: dict[str, Any]) -> None:
    created = statuses(document, "/api/things", "post")
    assert created["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert created["429"]["headers"]["Retry-After"]["required"] is True
    assert created["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert created["409"]["description"] == Conflict.title
    # A probe asks again on its own schedule: readiness' 503 has no Retry-After.
    assert "headers" not in statuses(document, "/readyz", "get")["503"]


def test_the_largest_id_is_written_as_an_integer(
    served: tuple[httpx.AsyncClient, httpx.Response], document: dict[str, Any]
) -> None:
    raw = served[1].text
    assert "e+18" not in raw
    owner_id = document["components"]["schemas"]["Thing"]["properties"]["owner_id"]
    assert owner_id["maximum"] == MAX_ID
    assert f'"maximum":{MAX_ID}' in raw.replace(" ", "")
    assert json.loads(raw) == document


async def test_the_problems_answered_match_the_documented_schema(
    served: tuple[httpx.AsyncClient, httpx.Response],
    document: dict[str, Any],
    mint_token: MintToken,
) -> None:
    client, _ = served
    schema = document["components"]["schemas"]["Problem"]
    token = {"Authorization": f"Bearer {mint_token('7')}"}
    answers = [
        await client.post("/api/things", json={"name": "x"}, headers=token),  # 422
        await client.post("/api/things", json={"name": "x", "owner_id": 1}),  # 401
        await client.post("/api/things", json={"name": "x", "owner_id": 1}, headers=token),
        await client.get("/api/things/0"),  # 422 about the path
        await client.put("/api/things/1"),  # 405
    ]
    assert [answer.status_code for answer in answers] == [422, 401, 409, 422, 405]
    for answer in answers:
        assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
        jsonschema.validate(answer.json(), schema)
