"""Each kind of job has one params model: tasks validates a submission with it, the
worker validates the message with it again."""

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from servicecontracts.digest import MAX_DATA_CHARS, MAX_ROUNDS, DigestData, DigestParams
from servicecontracts.reports import ReportParams
from servicecontracts.storage import MAX_ID
from servicekit.web.inputs import text


def test_digest_data_is_text_by_the_rule_of_every_text_field() -> None:
    # The contract cannot import servicekit; this holds its copy of the rule to the rule.
    schema = TypeAdapter(DigestData).json_schema()

    assert schema == TypeAdapter(text(MAX_DATA_CHARS)).json_schema()


def test_a_whole_number_is_taken_however_json_writes_it() -> None:
    params = DigestParams.model_validate({"data": "x", "rounds": 2.0})

    assert (params.rounds, type(params.rounds)) == (2, int)


@pytest.mark.parametrize(
    "params",
    [
        {"data": "x" * (MAX_DATA_CHARS + 1), "rounds": 1},
        {"data": "x\x00", "rounds": 1},
        {"data": b"x", "rounds": 1},
        {"data": "x", "rounds": 0},
        {"data": "x", "rounds": MAX_ROUNDS + 1},
        {"data": "x", "rounds": True},
        {"data": "x", "rounds": 1.5},
        {"data": "x", "rounds": "10"},
        {"data": "x", "rounds": 1, "more": 1},
    ],
)
def test_digest_params_out_of_bounds_loosely_typed_or_unknown_are_refused(
    params: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        DigestParams.model_validate(params)


@pytest.mark.parametrize("user_id", [0, MAX_ID + 1, "1", True, 1.5, None])
def test_a_report_is_about_a_possible_user_id(user_id: object) -> None:
    with pytest.raises(ValidationError):
        ReportParams.model_validate({"user_id": user_id})
