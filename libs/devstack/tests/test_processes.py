import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.processes import pid_alive, spawn, tail, terminate

pytestmark = pytest.mark.timeout(30)


def test_children_die_with_a_runner_that_is_killed(tmp_path: Path) -> None:
    # The runner spawns a long sleeper and prints its pid; SIGKILL must not orphan it.
    pid_file = tmp_path / "child.pid"
    runner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from devstack.processes import spawn;"
            "child = spawn([sys.executable, '-c', 'import time; time.sleep(60)']);"
            f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(60)",
        ]
    )
    try:
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child_pid = int(pid_file.read_text())
        assert pid_alive(child_pid)
        runner.kill()
        runner.wait()
        deadline = time.monotonic() + 5
        while pid_alive(child_pid):
            assert time.monotonic() < deadline, "the child outlived its runner"
            time.sleep(0.05)
    finally:
        runner.kill()


def test_spawned_children_leave_the_terminals_process_group(tmp_path: Path) -> None:
    process = spawn(["sleep", "30"], log=tmp_path / "log")
    try:
        assert os.getpgid(process.pid) != os.getpgid(0)
    finally:
        terminate(process)


def test_tail_of_a_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    assert tail(log, 2) == "line 98\nline 99\n"
    assert "no log at" in tail(tmp_path / "missing.log")
