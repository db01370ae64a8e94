"""tasks' OpenAPI document says what tasks answers: a PATCH title is never null, a due
date is a day of the years tasks takes, ids are written as integers, and a job
submission documents its own refusals (403, 429 with Retry-After)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from servicekit.web.inputs import MAX_ID
from tasks_service.schemas import DueDate
from testkit.apps import MODES, assert_modes_agree


@pytest.fixture(scope="module")
def document(app_factory: Callable[[str, str], FastAPI]) -> dict[str, Any]:
    # The document needs no database: an app that is never started makes it.
    return app_factory("postgresql://nobody@127.0.0.1:9/none", "redis://127.0.0.1:9/0").openapi()


def test_a_patch_title_may_be_left_out_but_is_never_null(document: dict[str, Any]) -> None:
    update = document["components"]["schemas"]["TaskUpdate"]
    title = update["properties"]["title"]
    assert title["type"] == "string"
    assert "anyOf" not in title
    assert "default" not in title
    assert "title" not in update.get("required", [])


DAYS = ["1969-12-31", "1970-01-01", "1999-12-31", "2000-01-01", "2026-02-29", "2028-02-29"]
DAYS += ["9999-12-31", "0001-01-01", "1000-06-15", "0999-01-01", "19700-01-01", "1970-1-01"]
NOT_A_DAY = {"2026-02-29"}  # the shape of a date, which `format: date` refuses


def taken(day: str) -> bool:
    try:
        TypeAdapter(DueDate).validate_python(day)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("day", DAYS)
def test_the_documented_due_date_is_the_rule(document: dict[str, Any], day: str) -> None:
    schema = document["components"]["schemas"]["TaskCreate"]["properties"]["due_date"]
    [documented] = [option for option in schema["anyOf"] if option.get("type") == "string"]
    assert documented["format"] == "date"
    shaped = re.fullmatch(documented["pattern"], day) is not None

    assert taken(day) == (shaped and day not in NOT_A_DAY)


def test_ids_in_bodies_are_written_as_integers(document: dict[str, Any]) -> None:
    user_id = document["components"]["schemas"]["ReportParams"]["properties"]["user_id"]
    assert user_id["maximum"] == MAX_ID
    assert type(user_id["maximum"]) is int
    assert type(user_id["minimum"]) is int


@pytest.mark.parametrize("prefix", MODES.values())
def test_a_job_submission_documents_its_own_refusals(document: dict[str, Any], prefix: str) -> None:
    responses = document["paths"][f"{prefix}/jobs"]["post"]["responses"]
    assert responses["403"]["description"] == "Not your report"
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert {"202", "400", "401", "413", "422", "503"} <= set(responses)


def test_both_modes_have_one_contract(document: dict[str, Any]) -> None:
    assert_modes_agree(document)
