"""Running wrk and reading what it prints."""

import re
import subprocess
from collections.abc import Sequence
from typing import NamedTuple

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class WrkReading(NamedTuple):
    rps: float
    p50_ms: float
    p99_ms: float
    # Non-2xx/3xx answers and socket errors.
    errors: int


def parse_wrk(output: str) -> WrkReading:
    """The figures of `wrk --latency` output."""
    rps = float(_found(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return WrkReading(rps, _percentile(output, "50"), _percentile(output, "99"), errors)


def _percentile(output: str, percent: str) -> float:
    """A line of the latency distribution (`--latency`), in ms."""
    value, unit = _found(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * _UNITS[unit]


def _found(pattern: str, output: str, flags: int = 0) -> re.Match[str]:
    """The match of a line wrk always prints; its absence means wrk did not measure."""
    match = re.search(pattern, output, flags)
    if match is None:
        raise ValueError(f"wrk's output has no line matching {pattern!r}:\n{output}")
    return match


def run_wrk(
    wrk: str,
    url: str,
    seconds: float,
    *,
    concurrency: int,
    core: int,
    headers: Sequence[str] = (),
) -> str:
    """wrk's output of one run from one thread pinned to `core`."""
    argv = ["taskset", "-c", str(core), wrk, "-t1", f"-c{concurrency}", f"-d{seconds:g}s"]
    argv.append("--latency")
    for header in headers:
        argv += ["-H", header]
    completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
        [*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    return completed.stdout
