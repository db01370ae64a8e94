"""`python -m loadtest.smoke`: the post-deploy check (make cluster-smoke, skaffold verify),
here against the local stack, and against a gateway that is not there: the generated
client's walk (loadtest.client_check), then every Locust scenario, in both modes."""

import subprocess
import sys

import pytest

from devstack.ports import free_port
from loadtest.headless import SCENARIOS
from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def smoke(host: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "loadtest.smoke", "--host", host, "--seconds", "2"]
    return subprocess.run(command, capture_output=True, text=True, timeout=280, check=False)


def test_a_working_system_passes_in_every_scenario_and_mode(local_stack: LocalStack) -> None:
    done = smoke(local_stack.gateway_url)

    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        [scenario, mode] for scenario in ("client", *SCENARIOS) for mode in ("async", "sync")
    ]
    assert all(line.endswith("ok") and int(line.split()[2]) > 0 for line in lines), lines


def test_a_gateway_that_does_not_answer_fails_the_check() -> None:
    done = smoke(f"http://127.0.0.1:{free_port()}")

    assert done.returncode == 1
    verdicts = [line.split()[:2] + line.split()[-1:] for line in done.stdout.splitlines()]
    assert ["client", "async", "FAILED"] in verdicts
    assert ["client", "sync", "FAILED"] in verdicts
    assert "ConnectError" in done.stdout
