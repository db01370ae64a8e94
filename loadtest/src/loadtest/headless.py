"""Runs Locust headless in a child process and reads what it wrote.

Never imports locust here: locust patches the standard library with gevent on import,
which the caller (pytest, the bench runner) must not get.
"""

import csv
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SCENARIOS = ("UsersRead", "ItemsMixed", "ItemsOwners", "TasksCrud", "Jobs")


@dataclass(frozen=True)
class RequestStats:
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float


@dataclass(frozen=True)
class LocustRun:
    exit_code: int
    stats: dict[str, RequestStats]  # by request name; "Aggregated" for all
    failures: list[dict[str, str]]
    generator_cpu: float  # percent of one core over the measured period
    log: str


def run_headless(
    host: str,
    scenario: str,
    *,
    mode: str,
    users: int,
    seconds: float,
    out_dir: Path,
    accounts: int = 100,
    warmup: float = 0,
    metrics_port: int | None = None,
) -> LocustRun:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / f"{scenario}-{mode}-{users}"
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    argv += ["--host", host, "--users", str(users), "--spawn-rate", str(users)]
    argv += ["--run-time", f"{warmup + seconds:g}s", "--warmup-seconds", f"{warmup:g}"]
    argv += ["--stop-timeout", "5", "--cpu-file", f"{prefix}_cpu.json"]
    argv += ["--mode", mode, "--accounts", str(accounts), "--csv", str(prefix)]
    argv += ["--json-file", str(prefix)]
    if metrics_port is not None:
        argv += ["--metrics-port", str(metrics_port)]
    argv += ["--only-summary", "--loglevel", "WARNING", scenario]
    completed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        argv,
        capture_output=True,
        text=True,
        # Locust stops itself at --run-time; this bounds a Locust that hangs.
        timeout=warmup + seconds + 60,
        check=False,
    )
    cpu_file = Path(f"{prefix}_cpu.json")
    return LocustRun(
        exit_code=completed.returncode,
        stats=_read_stats(Path(f"{prefix}.json")),
        failures=_read_rows(Path(f"{prefix}_failures.csv")),
        generator_cpu=json.loads(cpu_file.read_text())["cpu_percent"] if cpu_file.exists() else 0,
        log=completed.stderr + completed.stdout,
    )


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _read_stats(path: Path) -> dict[str, RequestStats]:
    """The final stats Locust saves at exit (--json-file). Its CSV files are rewritten
    once a second while it runs and not at exit, so they miss the last second: a short
    run could read as no requests, and a failure in that second would go unseen."""
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:  # a name used with several methods counts as one step
        by_name.setdefault(entry["name"], []).append(entry)
    stats = {name: _summary(name, group) for name, group in by_name.items()}
    if entries:
        stats["Aggregated"] = _summary("Aggregated", entries)
    return stats


def _summary(name: str, entries: list[dict[str, Any]]) -> RequestStats:
    requests = sum(e["num_requests"] for e in entries)
    timed: Counter[int] = Counter()
    for entry in entries:
        timed.update({int(ms): count for ms, count in entry["response_times"].items()})
    started = min(e["start_time"] for e in entries)
    last = max(e["last_request_timestamp"] or started for e in entries)
    return RequestStats(
        name=name,
        requests=requests,
        failures=sum(e["num_failures"] for e in entries),
        p50_ms=_percentile(timed, 0.50),
        p95_ms=_percentile(timed, 0.95),
        p99_ms=_percentile(timed, 0.99),
        rps=requests / (last - started) if last > started else 0.0,
    )


def _percentile(timed: Counter[int], fraction: float) -> float:
    """The smallest recorded response time that `fraction` of the requests did not exceed
    (Locust's own rule, on its rounded response times)."""
    total = sum(timed.values())
    seen = 0
    for ms in sorted(timed):
        seen += timed[ms]
        if seen >= total * fraction:
            return float(ms)
    return 0.0
