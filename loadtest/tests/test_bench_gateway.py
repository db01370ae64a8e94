"""`python -m loadtest.bench --gateway`: the comparison against a system that already
runs, as the chart's comparison Job runs it in a cluster (here: the local stack)."""

import json
import subprocess
import sys

import pytest

from devstack.testing import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_a_running_system_is_measured_in_both_modes(local_stack: LocalStack, tmp_path):
    command = [sys.executable, "-m", "loadtest.bench", "--gateway", local_stack.gateway_url]
    command += ["--databases", "split", "--concurrency", "1,2", "--seconds", "5"]
    command += ["--warmup", "2", "--out", str(tmp_path)]

    done = subprocess.run(command, capture_output=True, text=True, timeout=200, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.loads((tmp_path / "cells.json").read_text())
    assert {(c["mode"], c["database"], c["concurrency"]) for c in cells} == {
        (mode, "split", level) for mode in ("async", "sync") for level in (1, 2)
    }
    # A cell of a few seconds on a busy machine may measure little; none may fail.
    assert [c["failures"] for c in cells] == [0] * len(cells)
    assert sum(c["requests"] for c in cells) > 0
    assert (tmp_path / "throughput.png").stat().st_size > 0
    assert "split" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(
    "arguments",
    [
        ["--databases", "split"],
        ["--gateway", "http://127.0.0.1:9", "--databases", "postgres,mysql"],
        ["--gateway", "http://127.0.0.1:9", "--seed-only"],
    ],
    ids=["split-without-gateway", "two-labels", "seed-only"],
)
def test_what_does_not_fit_together_is_refused(arguments):
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.bench", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert "error:" in done.stderr
