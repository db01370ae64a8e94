"""A fault is a small JSON document under one key per service: writers and readers agree
on its shape and bounds here."""

from typing import Any

import pytest
from pydantic import ValidationError

from servicecontracts.faults import Fault, fault_key


def test_the_key_of_a_service() -> None:
    assert fault_key("users") == "faults:users"


def test_no_fault_is_inactive_and_any_kind_is_active() -> None:
    assert not Fault().active
    assert Fault(latency_ms=1).active
    assert Fault(error_rate=0.01).active
    assert Fault(slow_statement_ms=1).active


def test_the_json_writers_store_reads_back_the_same() -> None:
    fault = Fault(latency_ms=100, error_rate=0.5, slow_statement_ms=20)

    assert Fault.model_validate_json(fault.model_dump_json()) == fault


@pytest.mark.parametrize(
    "value",
    [
        {"latency_ms": -1},
        {"latency_ms": 60_001},
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"slow_statement_ms": 60_001},
        {"latency_ms": "slow"},
        {"latency": 100},  # a misspelt field is refused, never ignored
    ],
)
def test_values_out_of_bounds_or_unknown_are_refused(value: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Fault.model_validate(value)


def test_a_fault_cannot_change_once_made() -> None:
    with pytest.raises(ValidationError):
        Fault().latency_ms = 5  # type: ignore[misc]
