import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.layout import data_dir
from devstack.lock import AlreadyRunning, RunLock

pytestmark = pytest.mark.timeout(30)


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    path = tmp_path / ".data" / "run.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from devstack.lock import RunLock;"
            f"RunLock({str(path)!r}).acquire(); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning) as refused:
            RunLock(path).acquire()
        assert refused.value.pid == holder.pid
        assert str(refused.value) == (
            f"make run is already running (pid {holder.pid}); stop it with Ctrl-C there"
        )
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead holder's lock.
    with RunLock(path):
        pass


def test_released_lock_can_be_taken_again(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "run.lock")
    with lock, pytest.raises(AlreadyRunning):
        RunLock(tmp_path / "run.lock").acquire()
    with RunLock(tmp_path / "run.lock"):
        pass


def test_make_run_refuses_to_start_twice() -> None:
    # The real entry point, against the real lock of this checkout.
    lock = RunLock(data_dir() / "run.lock")
    try:
        lock.acquire()
    except AlreadyRunning:
        pytest.skip("a `make run` is running in this checkout")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "devstack", "run"], capture_output=True, text=True, timeout=20
        )
    finally:
        lock.release()
    assert second.returncode == 1
    assert second.stderr.strip() == (
        f"make run is already running (pid {os.getpid()}); stop it with Ctrl-C there"
    )
