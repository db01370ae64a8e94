"""`make bench`'s fault axis on the command line: the conditions it makes, the scenario
it measures, and what it refuses, with the reason."""

import pytest

from loadtest.bench import parse_args
from loadtest.conditions import NO_FAULT, Condition


def test_without_the_axis_the_run_is_as_before() -> None:
    args = parse_args([])

    assert args.scenario == "UsersRead"
    assert args.faulted is False
    assert args.conditions == [NO_FAULT]


def test_the_axis_makes_the_conditions_and_measures_items_owners() -> None:
    args = parse_args(["--upstream-latency", "100,0,20", "--slow-statement", "50"])

    assert args.scenario == "ItemsOwners"
    assert args.faulted is True
    assert args.conditions == [
        NO_FAULT,
        Condition(upstream_latency_ms=20),
        Condition(upstream_latency_ms=100),
        Condition(slow_statement_ms=50),
    ]


def test_a_scenario_of_items_may_be_chosen_and_an_external_system_named() -> None:
    external = ["--gateway", "http://127.0.0.1:9", "--databases", "split"]
    external += ["--redis-url", "redis://127.0.0.1:9/0"]
    args = parse_args(["--scenario", "ItemsMixed", "--slow-statement", "50", *external])

    assert args.scenario == "ItemsMixed"
    assert args.redis_url == "redis://127.0.0.1:9/0"
    assert args.conditions == [NO_FAULT, Condition(slow_statement_ms=50)]


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["--upstream-latency", "20,fast"],
            "argument --upstream-latency: 'fast' is not a whole number of milliseconds",
        ),
        (["--upstream-latency", "-20"], "'-20' is not a whole number of milliseconds, 0 or more"),
        (
            ["--slow-statement", "60001"],
            "argument --slow-statement: 60001 ms: Input should be less than or equal to 60000",
        ),
        (
            ["--scenario", "UsersRead", "--upstream-latency", "20"],
            "UsersRead does not wait on users or items' database",
        ),
        (
            ["--gateway", "http://127.0.0.1:9", "--databases", "split", "--slow-statement", "5"],
            "with --gateway the fault axis needs --redis-url",
        ),
        (
            ["--redis-url", "redis://127.0.0.1:9/0", "--upstream-latency", "20"],
            "--redis-url is for --gateway",
        ),
        (["--redis-url", "redis://127.0.0.1:9/0"], "--redis-url is for the fault axis"),
        (["--seed-only", "--upstream-latency", "20"], "no fault axis with it"),
    ],
    ids=[
        "not-a-number",
        "negative",
        "over-a-minute",
        "scenario-without-waits",
        "gateway-without-redis",
        "redis-without-gateway",
        "redis-without-axis",
        "seed-only",
    ],
)
def test_what_cannot_be_measured_is_refused_with_the_reason(
    arguments: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(arguments)

    assert exited.value.code == 2
    assert says in capsys.readouterr().err
