"""The fault axis: what the command line takes, the conditions it makes, the faults each
condition switches on."""

import argparse

import pytest

from loadtest.conditions import NO_FAULT, Condition, axis, milliseconds
from servicecontracts.faults import Fault


def test_milliseconds_are_sorted_and_distinct() -> None:
    assert milliseconds("100, 0,20,20") == [0, 20, 100]
    assert milliseconds("60000") == [60_000]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "'' is not a whole number of milliseconds"),
        ("20,,100", "'' is not a whole number of milliseconds"),
        ("-5", "'-5' is not a whole number of milliseconds, 0 or more"),
        ("2.5", "'2.5' is not a whole number"),
        ("fast", "'fast' is not a whole number"),
        ("²", "'²' is not a whole number"),
        ("60001", "60001 ms: Input should be less than or equal to 60000"),
    ],
)
def test_what_is_not_a_fault_delay_is_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        milliseconds(text)
    assert says in str(refused.value)


def test_the_axis_is_the_baseline_once_then_latencies_then_slow_statements() -> None:
    assert axis([100, 0, 20], [0, 50]) == [
        NO_FAULT,
        Condition(upstream_latency_ms=20),
        Condition(upstream_latency_ms=100),
        Condition(slow_statement_ms=50),
    ]
    assert axis([], [0]) == [NO_FAULT]


def test_labels_and_slugs_name_the_condition() -> None:
    assert NO_FAULT.label == "no fault"
    assert NO_FAULT.slug == "no-fault"
    assert Condition(upstream_latency_ms=100).label == "100 ms upstream latency"
    assert Condition(upstream_latency_ms=100).slug == "upstream-100ms"
    assert Condition(slow_statement_ms=50).label == "slow statements of 50 ms"
    assert Condition(slow_statement_ms=50).slug == "statement-50ms"


def test_latency_is_on_users_and_the_slow_statement_on_items() -> None:
    assert Condition(upstream_latency_ms=20).faults() == {
        "users": Fault(latency_ms=20),
        "items": None,
    }
    assert Condition(slow_statement_ms=50).faults() == {
        "users": None,
        "items": Fault(slow_statement_ms=50),
    }
    assert NO_FAULT.faults("u", "i") == {"u": None, "i": None}
