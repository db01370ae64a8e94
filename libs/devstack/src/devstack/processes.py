"""Starting and stopping child processes so that none outlives the stack.

Children get a session of their own so a Ctrl-C in the terminal reaches only the runner,
which then stops them in order (services before the databases they use). They also get
SIGTERM from the kernel if the runner itself dies, even by SIGKILL, so a crashed
`make run` leaves no server holding its port.
"""

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1
# Resolved before any fork: the code between fork and exec must not load libraries.
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _die_with_parent() -> None:
    # Runs in the child between fork and exec. The signal comes when the *thread* that
    # forked exits, so spawn from the main thread (every caller here does).
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    argv: Sequence[str],
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` detached from the terminal; output goes to `log`, else to a pipe."""
    log_file = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log_file = log.open("ab")
    try:
        return subprocess.Popen(  # noqa: S603 - argv is built by devstack, never by a shell
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if log_file is None else log_file,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # see _die_with_parent about threads
        )
    finally:
        if log_file is not None:
            log_file.close()


def terminate(process: subprocess.Popen[bytes], grace: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code.

    A pipe on stdout stays open: its reader drains the last lines and closes it.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
    return process.returncode


def pid_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may hold spaces.
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_stopped(pid: int, timeout: float = 5.0) -> None:
    """Returns once every thread of `pid` is stopped (state T), or it is gone: a SIGSTOP
    takes effect when the signal is delivered, not when kill() returns, and a busy
    server may still answer in between."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            states = [
                (task / "stat").read_text().rpartition(")")[2].split()[0]
                for task in Path(f"/proc/{pid}/task").iterdir()
            ]
        except OSError:  # gone meanwhile
            return
        if all(state in ("T", "t", "Z", "X") for state in states):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"process {pid} did not stop within {timeout:g} s")
        time.sleep(0.005)


def descendants(pid: int) -> list[int]:
    """The processes below `pid`: its children, theirs, and so on."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        below = children.get(pending.pop(), [])
        found += below
        pending += below
    return found


def stop_leftover(pidfile: Path, datadir: Path, grace: float = 30.0) -> None:
    """Stop a server that an earlier, crashed run left behind on the same data dir.

    Only a process working in `datadir` is touched (both servers chdir there): a stale pid
    file may name an unrelated process by now.
    """
    try:
        pid = int(pidfile.read_text().split()[0])
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except (OSError, ValueError, IndexError):
        return
    if cwd != Path(datadir).resolve():
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(int(grace * 10)):
        if not pid_alive(pid):
            return
        time.sleep(0.1)  # not our child, so there is nothing to wait() on
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log, for error messages."""
    try:
        with path.open(errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError as error:
        return f"(no log at {path}: {error.strerror})"
