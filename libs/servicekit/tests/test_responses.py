"""Responses that `def` handlers return already serialized."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from servicekit.web.responses import json_response, no_content

if TYPE_CHECKING:
    from .conftest import Serve


class ThingRead(BaseModel):
    id: int
    name: str
    created_at: datetime


THING = ThingRead(id=2**63 - 1, name="Zoë", created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))

router = APIRouter()


@router.post("/things", status_code=201, response_model=ThingRead)
def create_thing() -> Response:
    return json_response(THING, status_code=201, headers={"Location": "/things/1"})


@router.get("/things/1", response_model=ThingRead)
def read_thing() -> Response:
    return json_response(THING)


@router.delete("/things/1", status_code=204)
def delete_thing() -> Response:
    return no_content()


@pytest.fixture
async def client(serve: "Serve") -> AsyncIterator[httpx.AsyncClient]:
    async with serve([router]) as c:
        yield c


async def test_json_response_is_the_models_json(client: httpx.AsyncClient) -> None:
    created = await client.post("/things")
    read = await client.get("/things/1")

    assert created.status_code == 201
    assert created.headers["location"] == "/things/1"
    for response in (created, read):
        assert response.headers["content-type"] == "application/json"
        assert response.content == THING.model_dump_json().encode()
        assert response.json()["id"] == 2**63 - 1  # no float rounding on the way
        assert response.headers.get_list("x-request-id")
    assert read.status_code == 200


async def test_no_content_is_an_empty_204(client: httpx.AsyncClient) -> None:
    response = await client.delete("/things/1")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
