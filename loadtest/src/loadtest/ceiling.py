"""`make bench-ceiling`: how close the services' full stack comes to the bare minimum.

Each app runs alone as one uvicorn process pinned to core 0, called directly (no
gateway) by wrk pinned to core 1, at concurrency 32, after a warm-up that is not counted,
in several rounds (the median counts):

    (a) users  GET /api/users?limit=50        async, as `make run` runs it: request
        span, metrics and access line on (no span exporter)
    (b) users  GET /sync/api/users?limit=50   sync, the same
    (c) FastAPI + a raw asyncpg pool, the same query and data, no middleware (baseline)
    (d) plain FastAPI, constant JSON
    (e) a servicekit app, the same constant JSON, with all its middleware and the
        request's span, metrics and access line
    (f) the same as (e) unobserved: ACCESS_LOG, METRICS_ENABLED, TRACING_ENABLED false
    (g) the same as (a) unobserved

Targets: (a) >= 0.6 x (c), (b) >= 0.4 x (c), (e) >= 0.75 x (d), and observing a request
costs the users list at most 15%: (a) >= 0.85 x (g). The data is users_bench on Postgres
(`make seed-bench`).
"""

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from devstack.binaries import find_binary
from devstack.databases import with_database
from devstack.health import wait_until_ok
from devstack.keys import ensure_dev_keypair
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.processes import spawn, terminate

BASELINES = Path(__file__).parents[2] / "baselines"
CONCURRENCY = 32
UVICORN = ("-m", "uvicorn", "--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools")


# The switches of what a service observes about each request (servicekit.settings).
OBSERVED = {"ACCESS_LOG": "true", "METRICS_ENABLED": "true", "TRACING_ENABLED": "true"}
UNOBSERVED = dict.fromkeys(OBSERVED, "false")


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    app: str
    path: str
    # Environment of the app; servicekit apps read OBSERVED's switches from it.
    env: dict[str, str]
    app_dir: Path | None = None


USERS = "users_service.main:app"
USERS_LIST = "/api/users?limit=50"
ROWS = (
    Row("a", "users list, async, as make run runs it", USERS, USERS_LIST, OBSERVED),
    Row("b", "users list, sync", USERS, "/sync/api/users?limit=50", OBSERVED),
    Row("c", "FastAPI + raw asyncpg", "raw_asyncpg:app", USERS_LIST, {}, BASELINES),
    Row("d", "plain FastAPI, constant", "plain_constant:app", "/constant", {}, BASELINES),
    Row("e", "servicekit, constant", "servicekit_constant:app", "/constant", OBSERVED, BASELINES),
    Row(
        "f",
        "servicekit, constant, unobserved",
        "servicekit_constant:app",
        "/constant",
        UNOBSERVED,
        BASELINES,
    ),
    Row("g", "users list, async, unobserved", USERS, USERS_LIST, UNOBSERVED),
)
# (row, reference row, least ratio)
TARGETS = (("a", "c", 0.6), ("b", "c", 0.4), ("e", "d", 0.75), ("a", "g", 0.85))


@dataclass(frozen=True)
class Result:
    key: str
    label: str
    rps: float
    p99_ms: float
    errors: int


def parse_wrk(output: str) -> tuple[float, float, int]:
    """Requests/s, p99 in ms and errors (non-2xx/3xx answers and socket errors)."""
    rps = float(_found(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = _found(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return rps, p99, errors


def _found(pattern: str, output: str, flags: int = 0) -> re.Match[str]:
    """The match of a line wrk always prints; its absence means wrk did not measure."""
    match = re.search(pattern, output, flags)
    if match is None:
        raise ValueError(f"wrk's output has no line matching {pattern!r}:\n{output}")
    return match


def run_wrk(wrk: str, url: str, seconds: float) -> str:
    argv = ["taskset", "-c", "1", wrk, "-t1", f"-c{CONCURRENCY}", f"-d{seconds:g}s", "--latency"]
    completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
        [*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    return completed.stdout


def measure(row: Row, env: dict[str, str], wrk: str, seconds: float, logs: Path) -> Result:
    port = free_port()
    argv = ["taskset", "-c", "0", sys.executable, *UVICORN, "--port", str(port), row.app]
    # uvicorn's own access log is off for the baselines; servicekit turns it off itself.
    argv.append("--no-access-log")
    if row.app_dir:
        argv += ["--app-dir", str(row.app_dir)]
    process = spawn(argv, env=env | row.env, log=logs / f"{row.key}.log")
    try:
        url = f"http://127.0.0.1:{port}{row.path}"
        if not wait_until_ok(url, timeout=30, alive=lambda: process.poll() is None):
            raise SystemExit(f"({row.key}) {row.app} did not answer; see {logs / row.key}.log")
        run_wrk(wrk, url, min(3.0, seconds))  # warm-up, not counted
        rps, p99, errors = parse_wrk(run_wrk(wrk, url, seconds))
    finally:
        terminate(process)
    return Result(row.key, row.label, rps, p99, errors)


def median_result(runs: Sequence[Result]) -> Result:
    """The run of median throughput, with the errors of every run."""
    middle = sorted(runs, key=lambda run: run.rps)[(len(runs) - 1) // 2]
    return dataclasses.replace(middle, errors=sum(run.errors for run in runs))


def render(results: dict[str, Result]) -> str:
    lines = [f"{'':4}{'app':<42}{'rps':>10}{'p99 ms':>10}{'errors':>8}"]
    lines += [
        f"({r.key}) {r.label:<42}{r.rps:>10.0f}{r.p99_ms:>10.1f}{r.errors:>8}"
        for r in results.values()
    ]
    lines.append("")
    for key, reference, least in TARGETS:
        ratio = results[key].rps / results[reference].rps
        verdict = "meets" if ratio >= least else "misses"
        lines.append(f"({key}) / ({reference}) = {ratio:.2f}   target >= {least}: {verdict}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="measured seconds per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of every app, one round after the other; the median counts",
    )
    parser.add_argument(
        "--database-url",
        default=with_database(
            os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            "users_bench",
        ),
    )
    args = parser.parse_args(argv)
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("the ceiling benchmark pins the server and wrk to two different cores")
    wrk = find_binary("wrk", ("wrk",))
    with tempfile.TemporaryDirectory(prefix="ceiling-") as folder:
        private_key, public_key = ensure_dev_keypair(Path(folder))
        env = dict(os.environ) | {
            "DATABASE_URL": args.database_url,
            "JWT_PRIVATE_KEY": private_key,
            "JWT_PUBLIC_KEY": public_key,
            "LOG_LEVEL": "INFO",
        }
        runs: dict[str, list[Result]] = {row.key: [] for row in ROWS}
        # Rounds rather than repeats in a row: a machine that slows down for a while
        # (a noisy neighbour, a thermal limit) then weighs on every app alike.
        for number in range(1, args.rounds + 1):
            for row in ROWS:
                print(f"round {number}: ({row.key}) {row.label}", file=sys.stderr, flush=True)
                runs[row.key].append(measure(row, env, wrk, args.seconds, Path(folder)))
        results = {key: median_result(found) for key, found in runs.items()}
    print(render(results))
    out = repo_root() / "reports" / f"ceiling-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    ratios = {f"{k}/{r}": results[k].rps / results[r].rps for k, r, _ in TARGETS}
    out.write_text(
        json.dumps(
            {
                "concurrency": CONCURRENCY,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "results": [asdict(r) for r in results.values()],
                "ratios": ratios,
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
        )
    )
    print(f"\n{out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
