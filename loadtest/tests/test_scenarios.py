"""Each scenario, 10 s headless against the local stack (through the gateway), in each
mode and in both side by side: no failure, and every step shows up under its own
request name, which says its mode."""

from pathlib import Path

import pytest

from loadtest.headless import run_headless
from loadtest.modes import request_name
from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

STEPS = {
    "UsersRead": {"[users] list", "[users] list next", "[users] search", "[users] get"},
    "ItemsMixed": {
        "[auth] login",
        "[items] get",
        "[items] list expand=owner",
        "[items] create",
        "[items] update",
    },
    "ItemsOwners": {"[items] list expand=owner"},
    "TasksCrud": {
        "[auth] login",
        "[tasks] create",
        "[tasks] list",
        "[tasks] done",
        "[tasks] undone",
        "[tasks] delete",
    },
    "Jobs": {"[auth] login", "[jobs] submit report", "[jobs] poll", "[jobs] report end to end"},
}


@pytest.mark.parametrize("mode", ["async", "sync"])
@pytest.mark.parametrize("scenario", list(STEPS))
def test_a_short_run_has_no_failures(
    local_stack: LocalStack, tmp_path: Path, scenario: str, mode: str
) -> None:
    run = run_headless(
        local_stack.gateway_url,
        scenario,
        mode=mode,
        users=4,
        seconds=10,
        out_dir=tmp_path,
        accounts=8,
    )

    names = {request_name(step, mode) for step in STEPS[scenario]}
    assert run.exit_code == 0, run.log
    assert run.failures == [], run.failures
    assert set(run.stats) == names | {"Aggregated"}
    for name in names:
        assert run.stats[name].requests > 0, name
    assert run.stats["Aggregated"].failures == 0


def test_both_modes_side_by_side_split_the_users_and_name_every_step_twice(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    run = run_headless(
        local_stack.gateway_url,
        "UsersRead",
        mode="both",
        users=4,
        seconds=5,
        out_dir=tmp_path,
        accounts=8,
    )

    steps = STEPS["UsersRead"]
    assert run.exit_code == 0, run.log
    assert run.failures == [], run.failures
    assert set(run.stats) == {
        request_name(step, mode) for step in steps for mode in ("async", "sync")
    } | {"Aggregated"}
    for step in steps:
        # Two users each side run the same tasks, so neither mode is starved.
        assert run.stats[request_name(step, "async")].requests > 0, step
        assert run.stats[request_name(step, "sync")].requests > 0, step
