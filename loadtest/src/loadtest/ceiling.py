"""`make bench-ceiling`: how close the services' full stack comes to the bare minimum.

Each app runs alone as one uvicorn process pinned to core 0, called directly (no
gateway) by wrk pinned to core 1, at concurrency 32, after a warm-up that is not counted,
in several rounds (the median counts). Service rows run as `make run` runs them: request
span, metrics and access line on (no span exporter), unless said otherwise.

    (a) users  GET /api/users?limit=50        async, Postgres
    (b) users  GET /sync/api/users?limit=50   sync, Postgres
    (c) FastAPI + a raw asyncpg pool, the same query and data, no middleware (baseline)
    (d) plain FastAPI, constant JSON
    (e) a servicekit app, the same constant JSON, with all its middleware and the
        request's span, metrics and access line
    (f) the same as (e) unobserved: ACCESS_LOG, METRICS_ENABLED, TRACING_ENABLED false
    (g) the same as (a) unobserved
    (h) a `def` FastAPI handler on a raw psycopg pool, the query and data of (c)
    (i) tasks  GET /api/tasks?limit=50        async, MariaDB, as the demo owner
    (j) tasks  GET /sync/api/tasks?limit=50   sync, the same
    (k) FastAPI + a raw asyncmy pool, the tasks page's query and data (baseline)
    (l) a `def` FastAPI handler on a raw PyMySQL pool, the same
    (m) items  GET /api/items?limit=50        async, Postgres
    (n) items  GET /api/items?owner_id=1&limit=50&expand=owner   async, with a users
        process for the owner's profile (pinned beside wrk: it shares wrk's core)
    (o) FastAPI + a raw asyncpg pool, the items page's query and data (baseline)

The letters stay: notes and docs/load-tests.md cite them. Every server runs under
loadtest.gc_probe, which times its garbage collections over the measured window only.
The targets are in loadtest.ceiling_report. The data is users_bench on Postgres and
tasks_bench on MariaDB, seeded first when missing (loadtest.bench_data).
"""

import argparse
import contextlib
import http.client
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack.binaries import MissingBinary, find_binary
from devstack.databases import with_database
from devstack.health import wait_until_ok
from devstack.keys import ensure_dev_keypair
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.processes import spawn, tail, terminate
from loadtest.bench_data import ensure_bench_data
from loadtest.ceiling_folder import write_ceiling_report
from loadtest.ceiling_report import Result, median_result, render
from loadtest.gc_window import close_window, open_window, probed_argv
from loadtest.machine import machine
from loadtest.tokens import dev_token
from loadtest.wrk import parse_wrk, run_wrk

BASELINES = Path(__file__).parents[2] / "baselines"
CONCURRENCY = 32
SERVER_CORE, WRK_CORE = 0, 1
UVICORN = ("--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools")
# The tasks seed's demo owner (tasks_service.seed's --demo-owner, 1): 36 tasks, which a
# page of 50 holds whole, where the other owners have one or two each.
DEMO_OWNER = 1


# The switches of what a service observes about each request (servicekit.core.settings).
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
    # Whose bench database DATABASE_URL names: users_bench or items_bench on Postgres
    # (the constant apps' servicekit settings want one too), or tasks_bench on MariaDB.
    database: str = "users"
    # Requests carry the demo owner's token (the tasks list refuses anonymous callers).
    authorized: bool = False
    # What answers 200 once the app is up, where `path` wants a token.
    ready_path: str | None = None
    # Another app the row's app calls, started first beside wrk, its URL given in
    # this variable (items' USERS_URL).
    upstream: tuple["Row", str] | None = None


USERS = "users_service.main:app"
USERS_LIST = "/api/users?limit=50"
TASKS = "tasks_service.main:app"
TASKS_LIST = "/api/tasks?limit=50"
ITEMS = "items_service.main:app"
ITEMS_LIST = "/api/items?limit=50"
# The users that items asks for owners' profiles: (a)'s app on users_bench.
USERS_UPSTREAM = Row("users", "users, for owners' profiles", USERS, "/readyz", OBSERVED)
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
    Row("h", "FastAPI + raw psycopg, def handler", "raw_psycopg:app", USERS_LIST, {}, BASELINES),
    Row(
        "i",
        "tasks list, async, MariaDB",
        TASKS,
        TASKS_LIST,
        OBSERVED,
        database="tasks",
        authorized=True,
        ready_path="/readyz",
    ),
    Row(
        "j",
        "tasks list, sync, MariaDB",
        TASKS,
        "/sync/api/tasks?limit=50",
        OBSERVED,
        database="tasks",
        authorized=True,
        ready_path="/readyz",
    ),
    Row(
        "k",
        "FastAPI + raw asyncmy",
        "raw_asyncmy:app",
        TASKS_LIST,
        {},
        BASELINES,
        database="tasks",
        authorized=True,
    ),
    Row(
        "l",
        "FastAPI + raw PyMySQL, def handler",
        "raw_pymysql:app",
        TASKS_LIST,
        {},
        BASELINES,
        database="tasks",
        authorized=True,
    ),
    Row("m", "items list, async", ITEMS, ITEMS_LIST, OBSERVED, database="items"),
    Row(
        "n",
        "items list, async, expand=owner",
        ITEMS,
        "/api/items?owner_id=1&limit=50&expand=owner",
        OBSERVED,
        database="items",
        upstream=(USERS_UPSTREAM, "USERS_URL"),
    ),
    Row(
        "o",
        "FastAPI + raw asyncpg, items",
        "raw_asyncpg_items:app",
        ITEMS_LIST,
        {},
        BASELINES,
        database="items",
    ),
)


def selected_rows(spec: str) -> tuple[Row, ...]:
    """The rows `--rows a,c,h` names, in the table's order; all for an empty spec."""
    if not spec:
        return ROWS
    wanted = {key.strip() for key in spec.split(",") if key.strip()}
    unknown = wanted - {row.key for row in ROWS}
    if unknown:
        raise ValueError(f"no such rows: {', '.join(sorted(unknown))}")
    return tuple(row for row in ROWS if row.key in wanted)


@dataclass(frozen=True)
class Bench:
    """What every measurement of a run shares."""

    wrk: str
    seconds: float
    # DATABASE_URL by Row.database.
    database_urls: dict[str, str]
    # The environment every app starts with.
    env: dict[str, str]
    private_key: str
    folder: Path


def measure(row: Row, bench: Bench) -> Result:
    figures = bench.folder / f"{row.key}.gc.json"
    with contextlib.ExitStack() as started:
        env = {}
        if row.upstream is not None:
            upstream, variable = row.upstream
            env[variable] = started.enter_context(_serving(upstream, bench, WRK_CORE))[1]
        process, base = started.enter_context(_serving(row, bench, SERVER_CORE, figures, env))
        headers = []
        if row.authorized:
            headers.append(f"Authorization: Bearer {dev_token(bench.private_key, DEMO_OWNER)}")
        url = base + row.path
        _check_first_answer(row, url, headers)

        def wrk(seconds: float) -> str:
            return run_wrk(
                bench.wrk, url, seconds, concurrency=CONCURRENCY, core=WRK_CORE, headers=headers
            )

        wrk(min(3.0, bench.seconds))  # warm-up, not counted
        open_window(process.pid)
        output = wrk(bench.seconds)
        gc = close_window(process.pid, figures)
    reading = parse_wrk(output)
    return Result(
        row.key, row.label, reading.rps, reading.p50_ms, reading.p99_ms, reading.errors, gc
    )


@contextlib.contextmanager
def _serving(
    row: Row,
    bench: Bench,
    core: int,
    figures: Path | None = None,
    env: dict[str, Any] | None = None,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`row`'s app pinned to `core` (under the collector probe when `figures` says where
    its figures go), answering; its process and base URL."""
    port = free_port()
    # uvicorn's own access log is off for the baselines; servicekit turns it off itself.
    uvicorn = [*UVICORN, "--port", str(port), "--no-access-log", row.app]
    if row.app_dir:
        uvicorn += ["--app-dir", str(row.app_dir)]
    command = (
        probed_argv(figures, uvicorn) if figures else [sys.executable, "-m", "uvicorn", *uvicorn]
    )
    process_env = bench.env | row.env | (env or {})
    process_env["DATABASE_URL"] = bench.database_urls[row.database]
    log = bench.folder / f"{row.key}.log"
    process = spawn(["taskset", "-c", str(core), *command], env=process_env, log=log)
    try:
        base = f"http://127.0.0.1:{port}"
        ready = base + (row.ready_path or row.path)
        if not wait_until_ok(ready, timeout=30, alive=lambda: process.poll() is None):
            # The log's folder goes when the run ends: its last lines go with the error.
            raise SystemExit(f"({row.key}) {row.app} did not answer:\n{tail(log)}")
        yield process, base
    finally:
        terminate(process)


def _check_first_answer(row: Row, url: str, headers: Sequence[str]) -> None:
    """One request as wrk will send it: a refused token would otherwise be measured as
    a table of fast 401s."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        connection.request("GET", target, headers=dict(h.split(": ", 1) for h in headers))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"({row.key}) {url} answered {response.status}: {body[:500]!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="measured seconds per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of every app, one round after the other; the median counts",
    )
    parser.add_argument("--rows", default="", help="only these rows, e.g. a,c (default: every row)")
    parser.add_argument(
        "--out", type=Path, default=None, help="the report folder (default: reports/ceiling-<time>)"
    )
    parser.add_argument(
        "--database-url",
        default=with_database(
            os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            "users_bench",
        ),
        help="the users rows' database (default: users_bench on POSTGRES_URL)",
    )
    parser.add_argument(
        "--tasks-database-url",
        default=with_database(
            os.environ.get("MYSQL_URL", "mysql://root@127.0.0.1:3306/"), "tasks_bench"
        ),
        help="the tasks rows' database (default: tasks_bench on MYSQL_URL)",
    )
    parser.add_argument(
        "--items-database-url",
        default=with_database(
            os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            "items_bench",
        ),
        help="the items rows' database (default: items_bench on POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    try:
        rows = selected_rows(args.rows)
    except ValueError as error:
        parser.error(str(error))
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("the ceiling benchmark pins the server and wrk to two different cores")
    database_urls = {
        "users": args.database_url,
        "items": args.items_database_url,
        "tasks": args.tasks_database_url,
    }
    ensure_bench_data(database_urls)
    try:
        wrk = find_binary("wrk", ("wrk",))
    except MissingBinary as missing:
        raise SystemExit(str(missing)) from None
    with tempfile.TemporaryDirectory(prefix="ceiling-") as folder:
        private_key, public_key = ensure_dev_keypair(Path(folder))
        bench = Bench(
            wrk=wrk,
            seconds=args.seconds,
            database_urls=database_urls,
            env=dict(os.environ)
            | {"JWT_PRIVATE_KEY": private_key, "JWT_PUBLIC_KEY": public_key, "LOG_LEVEL": "INFO"},
            private_key=private_key,
            folder=Path(folder),
        )
        runs: dict[str, list[Result]] = {row.key: [] for row in rows}
        # Rounds rather than repeats in a row: a machine that slows down for a while
        # (a noisy neighbour, a thermal limit) then weighs on every app alike.
        for number in range(1, args.rounds + 1):
            for row in rows:
                print(f"round {number}: ({row.key}) {row.label}", file=sys.stderr, flush=True)
                runs[row.key].append(measure(row, bench))
        results = {key: median_result(found) for key, found in runs.items()}
    print(render(results))
    # A folder as `make bench` writes one, which `make docs-report` takes alike.
    measured_at = datetime.now(UTC)
    report = write_ceiling_report(
        results,
        args.out or repo_root() / "reports" / f"ceiling-{measured_at:%Y%m%d-%H%M%S}",
        concurrency=CONCURRENCY,
        seconds=args.seconds,
        rounds=args.rounds,
        machine=machine(),
        measured_at=measured_at,
    )
    print(f"\n{report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
