"""The benchmark's side of loadtest.gc_probe: start a server under the probe, open and
close its measured window, read the figures."""

import os
import signal
import sys
import time
from pathlib import Path

from loadtest.gc_probe import GcFigures, read_figures


def probed_argv(figures: Path, uvicorn_args: list[str]) -> list[str]:
    """The command that runs `uvicorn <uvicorn_args>` under the probe."""
    return [sys.executable, "-m", "loadtest.gc_probe", str(figures), *uvicorn_args]


def open_window(pid: int) -> None:
    os.kill(pid, signal.SIGUSR1)


def close_window(pid: int, figures: Path, timeout: float = 10.0) -> GcFigures:
    """The figures of the window opened last; waits for the probe to write them."""
    figures.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while not figures.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the GC probe in process {pid} wrote no {figures}")
        time.sleep(0.02)
    return read_figures(figures)
