"""Running the stack's processes side by side with one merged output.

The output follows LOG_FORMAT (servicekit.core.console): on a terminal (or with `console`)
every line becomes one line a person reads, the JSON lines of the services, the worker
and nginx rendered, any other line labelled with its process; otherwise (or with
`json`) every line is a JSON object, the children's passing through as they are and
any other line wrapped in one. The children themselves always write JSON lines here.
Stopping is ordered and bounded: the last started stops first, each gets SIGTERM and,
after a grace period, SIGKILL.
"""

import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Self, TextIO

from devstack.health import wait_until_ok
from devstack.processes import spawn, terminate
from servicekit.core.console import ConsoleLines, wants_colour, wants_console


class ChildFailed(RuntimeError):
    pass


class StopRequested(BaseException):  # like KeyboardInterrupt: not an Exception
    """Raised in the main thread by SIGINT or SIGTERM while `stop_signals()` is active."""


@contextlib.contextmanager
def stop_signals() -> Iterator[Callable[[], None]]:
    """Turns the first SIGINT or SIGTERM into `StopRequested` in the main thread.

    Yields `shield`: once called (as a shutdown begins, for whatever reason), signals are
    ignored, so an impatient second Ctrl-C cannot cut the shutdown short and leave
    processes behind.
    """
    stopping = False

    def shield() -> None:
        nonlocal stopping
        stopping = True

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stopping:
            return
        shield()
        raise StopRequested(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield shield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    # Polled until it answers 200; without one, the child only has to stay alive briefly.
    health_url: str | None = None
    health_timeout: float = 30.0
    # For a child with no health URL: a line of its output that says it is ready (a
    # regular expression), awaited for as long as `health_timeout`.
    ready_line: str | None = None


# A child that exits on its own is started again, as a cluster restarts a crashed
# container: after 1 s, then twice as long each time it fails again, up to 30 s; one
# that ran a minute before failing starts again from 1 s.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
STEADY_SECONDS = 60.0


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes]
    pump: threading.Thread | None = None
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    started_at: float = field(default_factory=time.monotonic)
    backoff: float = 0.0  # the wait before the last restart; 0 before any
    restart_at: float | None = None  # set once its exit has been reported
    ready: threading.Event = field(default_factory=threading.Event)


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class Supervisor:
    def __init__(
        self,
        out: TextIO | None = None,
        grace: float = 10.0,
        label: str = "devstack",
        log_format: str = "auto",
    ):
        self._out = out or sys.stdout
        self._grace = grace
        self._label = label
        self._children: list[_Child] = []
        self._write_lock = threading.Lock()
        self._console = None
        if wants_console(log_format, self._out):
            self._console = ConsoleLines(colour=wants_colour(self._out))

    # --- output -------------------------------------------------------------------------

    @property
    def console(self) -> bool:
        """Whether the output is console lines rather than JSON lines."""
        return self._console is not None

    def emit(self, name: str, line: str, level: str = "info") -> None:
        """One line of output of `name`, in the output's form."""
        event = _json_object(line)
        if self._console is not None:
            text = self._console.render(event or {"level": level, "message": line}, name)
        elif event is None:
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            record = {"time": now, "level": level, "service": name, "logger": "output"}
            text = json.dumps(record | {"message": line})
        elif "service" not in event:  # Prometheus', say: which process wrote it
            text = json.dumps({"service": name} | event)
        else:
            text = line
        self._write(text)

    def say(self, message: str, level: str = "info") -> None:
        """A line from the supervisor itself."""
        for line in message.splitlines() or [""]:
            self.emit(self._label, line, level)

    def announce(self, block: str) -> None:
        """Lines meant to stand out (what `make run` serves): on a console as they are,
        after a blank line; in JSON, a line of the supervisor's each."""
        if self._console is None:
            self.say(block)
        else:
            self._write(f"\n{block}")

    def _write(self, text: str) -> None:
        with self._write_lock:
            self._out.write(text + "\n")
            self._out.flush()

    def _pump(self, child: _Child) -> None:
        stream = child.process.stdout
        assert stream is not None  # spawned without a log file: a pipe
        ready_line = re.compile(child.spec.ready_line) if child.spec.ready_line else None
        with contextlib.closing(stream):
            for raw in iter(stream.readline, b""):
                line = raw.decode(errors="replace").rstrip("\r\n")
                child.recent.append(line)
                self.emit(child.spec.name, line)
                if ready_line is not None and ready_line.search(line):
                    child.ready.set()

    def _launch(self, spec: ChildSpec) -> _Child:
        child = _Child(spec, spawn(spec.argv, env=spec.env, cwd=spec.cwd))
        child.pump = threading.Thread(target=self._pump, args=(child,), daemon=True)
        child.pump.start()
        return child

    @staticmethod
    def _failure(child: _Child, what: str) -> ChildFailed:
        if child.pump is not None and child.process.poll() is not None:
            child.pump.join(timeout=2)  # the last lines explain most failures
        recent = "\n".join(child.recent) or "(no output)"
        return ChildFailed(f"{child.spec.name} {what}; its last output:\n{recent}")

    # --- one-shot commands --------------------------------------------------------------

    def run_once(self, spec: ChildSpec, timeout: float = 600.0) -> None:
        """Runs a command to completion (a migration, a seed) with its output labelled."""
        child = self._launch(spec)
        try:
            code = child.process.wait(timeout)
        except BaseException:  # a timeout, or Ctrl-C while it runs
            terminate(child.process, self._grace)
            raise
        finally:
            if child.pump is not None:
                child.pump.join(timeout=2)
        if code != 0:
            raise self._failure(child, f"failed with exit code {code}")

    # --- long-running children ----------------------------------------------------------

    def start(self, spec: ChildSpec) -> None:
        """Starts a child and returns once it is healthy; raises `ChildFailed` if it is not."""
        child = self._launch(spec)
        self._children.append(child)

        def alive() -> bool:
            return child.process.poll() is None

        if spec.health_url is not None:
            if not wait_until_ok(spec.health_url, spec.health_timeout, alive):
                if alive():
                    what = f"did not answer {spec.health_url} within {spec.health_timeout:.0f}s"
                    raise self._failure(child, what)
                raise self._failure(child, f"exited with code {child.process.returncode}")
        elif spec.ready_line is not None:
            deadline = time.monotonic() + spec.health_timeout
            while not child.ready.wait(0.1):
                if not alive():
                    raise self._failure(child, f"exited with code {child.process.returncode}")
                if time.monotonic() > deadline:
                    what = f"did not say it was ready within {spec.health_timeout:.0f}s"
                    raise self._failure(child, what)
        else:
            time.sleep(0.5)
            if not alive():
                raise self._failure(child, f"exited with code {child.process.returncode}")

    def pids(self) -> dict[str, int]:
        """name -> process id of each long-running child still running."""
        return {c.spec.name: c.process.pid for c in self._children if c.process.poll() is None}

    def watch(self, poll: float = 0.2, until: Callable[[], bool] = lambda: False) -> None:
        """Keeps the children running: one that exits on its own is reported and started
        again after a backoff. Returns when `until()` is true; otherwise a stop signal
        ends it by raising `StopRequested` (see `stop_signals`)."""
        while not until():
            for index, child in enumerate(self._children):
                code = child.process.poll()
                if code is None:
                    continue
                now = time.monotonic()
                if child.restart_at is None:
                    steady = now - child.started_at >= STEADY_SECONDS
                    backoff = FIRST_BACKOFF if steady or not child.backoff else child.backoff * 2
                    child.backoff = min(backoff, MAX_BACKOFF)
                    child.restart_at = now + child.backoff
                    self.say(
                        f"{child.spec.name} exited unexpectedly with code {code}; "
                        f"starting it again in {child.backoff:.0f} s",
                        level="warning",
                    )
                elif now >= child.restart_at:
                    if child.pump is not None:
                        child.pump.join(timeout=2)
                    restarted = self._launch(child.spec)
                    restarted.backoff = child.backoff
                    self._children[index] = restarted
                    self.say(f"started {child.spec.name} again (pid {restarted.process.pid})")
            time.sleep(poll)

    def stop(self) -> None:
        """Stops every child, the last started first."""
        while self._children:
            child = self._children.pop()
            if child.process.poll() is None:
                self.say(f"stopping {child.spec.name}")
            terminate(child.process, self._grace)
            if child.pump is not None:
                child.pump.join(timeout=2)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
