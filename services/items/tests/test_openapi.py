"""items' OpenAPI document says what items answers: a PATCH title is never null, and
the owner's rule (403) is documented where it applies, in both modes."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from testkit.apps import MODES, assert_modes_agree


@pytest.fixture(scope="module")
def document(app_factory: Callable[[str, str], FastAPI], redis_url: str) -> dict[str, Any]:
    # The document needs no database: an app that is never started makes it.
    return app_factory("postgresql://nobody@127.0.0.1:9/none", redis_url).openapi()


def test_a_patch_title_may_be_left_out_but_is_never_null(document: dict[str, Any]) -> None:
    update = document["components"]["schemas"]["ItemUpdate"]
    title = update["properties"]["title"]
    assert title["type"] == "string"
    assert "anyOf" not in title
    assert "default" not in title
    assert "title" not in update.get("required", [])
    # A description is cleared with null: that one is nullable.
    assert {"type": "null"} in update["properties"]["description"]["anyOf"]


@pytest.mark.parametrize("prefix", MODES.values())
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_someone_elses_item_is_a_documented_403(
    document: dict[str, Any], prefix: str, method: str
) -> None:
    responses = document["paths"][f"{prefix}/items/{{item_id}}"][method]["responses"]
    assert responses["403"]["description"] == "Not your item"
    assert {"401", "404", "422", "503"} <= set(responses)
    assert "application/problem+json" in responses["403"]["content"]


def test_both_modes_have_one_contract(document: dict[str, Any]) -> None:
    assert_modes_agree(document)
