"""Each scenario, 10 s headless against the local stack (through the gateway), in both
modes: no failure, and every step shows up under its own request name."""

import pytest

from devstack.testing import LocalStack
from loadtest.headless import run_headless

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
def test_a_short_run_has_no_failures(local_stack: LocalStack, tmp_path, scenario, mode):
    run = run_headless(
        local_stack.gateway_url,
        scenario,
        mode=mode,
        users=4,
        seconds=10,
        out_dir=tmp_path,
        accounts=8,
    )

    assert run.exit_code == 0, run.log
    assert run.failures == [], run.failures
    assert set(run.stats) == STEPS[scenario] | {"Aggregated"}
    for step in STEPS[scenario]:
        assert run.stats[step].requests > 0, step
    assert run.stats["Aggregated"].failures == 0
