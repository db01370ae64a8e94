"""The garbage collector's share of a server's work, measured inside the server process.

    python -m loadtest.gc_probe FIGURES.json <uvicorn arguments>

runs uvicorn as `python -m uvicorn <uvicorn arguments>` would, with a `gc.callbacks` hook
that times every collection. The app under test is not touched: the probe only wraps
the process it runs in. Two signals bound the measured window, so a warm-up before it
is not counted:

    SIGUSR1  start a window: counts and times from zero, CPU time from now
    SIGUSR2  end it: the window's figures go to FIGURES.json (written whole, then renamed)

A collection holds the GIL from its start to its stop callback, so its wall time is
time no request makes progress in: the pause every request in flight waits out. Its
share of the process's CPU is counted in CPU time of the collecting thread instead: on a
shared machine a collection's wall time also holds whatever ran on the core meanwhile.
"""

import gc
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

GENERATIONS = 3


@dataclass(frozen=True)
class GcFigures:
    """What the collector did over one window."""

    wall_seconds: float
    # CPU time of the whole process, every thread (a sync app's pool threads included).
    cpu_seconds: float
    # Collections completed in the window, by generation (0, 1, 2).
    collections: tuple[int, ...]
    # CPU time the collections took, in the threads that ran them.
    gc_cpu_seconds: float
    # Wall time, start to stop callback: all of them, and the longest.
    pause_seconds: float
    max_pause_seconds: float

    @property
    def gc_percent(self) -> float:
        """The collector's share of the process's CPU time."""
        return 100 * self.gc_cpu_seconds / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def max_pause_ms(self) -> float:
        return 1000 * self.max_pause_seconds

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"gc_percent": self.gc_percent, "max_pause_ms": self.max_pause_ms}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "GcFigures":
        return cls(
            wall_seconds=float(data["wall_seconds"]),
            cpu_seconds=float(data["cpu_seconds"]),
            collections=tuple(int(n) for n in data["collections"]),
            gc_cpu_seconds=float(data["gc_cpu_seconds"]),
            pause_seconds=float(data["pause_seconds"]),
            max_pause_seconds=float(data["max_pause_seconds"]),
        )


class GcProbe:
    """Counts and times collections between `start_window()` and `figures()`.

    The clocks are parameters so that the arithmetic can be checked with fixed times.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.process_time,
        thread_cpu_clock: Callable[[], float] = time.thread_time,
    ):
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._thread_cpu_clock = thread_cpu_clock
        # Collections never nest: the collector does not start one while one runs. A
        # collection runs in one thread, so the thread CPU clock of its start and stop
        # is the same clock.
        self._started: float | None = None
        self._started_cpu = 0.0
        self.start_window()

    def start_window(self) -> None:
        self._window_start = self._clock()
        self._window_cpu = self._cpu_clock()
        self._collections = [0] * GENERATIONS
        self._gc_cpu = 0.0
        self._pause = 0.0
        self._max_pause = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        """The `gc.callbacks` hook: no allocation of tracked objects, so it never feeds
        the collector it measures."""
        now = self._clock()
        now_cpu = self._thread_cpu_clock()
        if phase == "start":
            self._started, self._started_cpu = now, now_cpu
            return
        if self._started is None:  # installed in the middle of a collection
            return
        # A collection that began before the window counts only for its part inside it
        # (its CPU time in proportion).
        pause = now - max(self._started, self._window_start)
        whole = now - self._started
        cpu = (now_cpu - self._started_cpu) * (pause / whole if whole > 0 else 1.0)
        self._started = None
        self._collections[info["generation"]] += 1
        self._gc_cpu += cpu
        self._pause += pause
        self._max_pause = max(self._max_pause, pause)

    def figures(self) -> GcFigures:
        return GcFigures(
            wall_seconds=self._clock() - self._window_start,
            cpu_seconds=self._cpu_clock() - self._window_cpu,
            collections=tuple(self._collections),
            gc_cpu_seconds=self._gc_cpu,
            pause_seconds=self._pause,
            max_pause_seconds=self._max_pause,
        )


def write_figures(figures: GcFigures, path: Path) -> None:
    # Whole or not at all: the reader polls for the file and reads it once it is there.
    staging = path.with_name(path.name + ".tmp")
    staging.write_text(json.dumps(figures.to_json()))
    os.replace(staging, path)


def read_figures(path: Path) -> GcFigures:
    return GcFigures.from_json(json.loads(path.read_text()))


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m loadtest.gc_probe FIGURES.json <uvicorn arguments>")
    path = Path(args.pop(0))
    probe = GcProbe()
    gc.callbacks.append(probe.callback)

    def start(_signal: int, _frame: FrameType | None) -> None:
        probe.start_window()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        write_figures(probe.figures(), path)

    # uvicorn handles SIGINT and SIGTERM only; these two are free.
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    # Imported after the hook is in, so the app's own imports are seen too (not counted:
    # the driver starts its window after the warm-up).
    from uvicorn.main import main as uvicorn

    uvicorn.main(args=args, prog_name="uvicorn")


if __name__ == "__main__":
    main()
