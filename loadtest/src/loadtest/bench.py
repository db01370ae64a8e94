"""`make bench`: one scenario over mode x database x concurrency, and its report.

    python -m loadtest.bench --scenario UsersRead --concurrency 1,4,16,64,256 --seconds 30

For each database the whole system starts once (devstack, as `make run` starts it, on
free ports), with every service's database on that server and the same bench data
(`<service>_bench` databases, seeded when empty with fixed random seeds). Each cell is
one headless Locust run: a warm-up that is not counted, then the measured seconds.
Everything listens on loopback; every run is bounded in time.

With `--gateway URL` it measures a system that already runs (the Helm chart's
comparison Job points it at the cluster's gateway): nothing is started or seeded, and
`--databases` is the one label the report gives that system's databases.

The fault axis adds the case where async matters, a request that waits:

    python -m loadtest.bench --upstream-latency 0,20,100 --slow-statement 50 \
        --concurrency 1,8,64 --seconds 20

`--upstream-latency MS,...` adds that many milliseconds to every users response while
ItemsOwners lists items with `expand=owner` (items waits on users for the owners: sync
in one of its pool threads, async awaiting); `--slow-statement MS,...` makes every
database session of items sleep that long first (loadtest.conditions says why items).
Each condition is measured over every mode and concurrency, 0 being no fault; the
scenario is ItemsOwners unless `--scenario ItemsMixed`. The faults are keys in the
system's Redis (servicecontracts.faults): a started system gets a Redis of its own and
FAULTS_ENABLED, so no other system on the machine sees them; with `--gateway`,
`--redis-url` names that system's Redis. They are cleared when the run ends, however
it ends. The report gets a section per condition and, per database, a sentence on where
async wins and by how much (loadtest.report).
"""

import argparse
import contextlib
import dataclasses
import itertools
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from devstack.binaries import MissingBinary
from devstack.gateway_edge import READ_RATE, WRITE_RATE
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.probes import ensure_reachable
from devstack.servers import RedisServer
from devstack.stack import Stack, StackError
from devstack.supervisor import StopRequested, Supervisor, stop_signals
from loadtest.bench_data import (
    bench_database_urls,
    bench_services,
    configured_server,
    ensure_bench_data,
)
from loadtest.cells import Cell
from loadtest.conditions import Condition, axis, milliseconds
from loadtest.fault_switch import FaultSwitch, switched_faults
from loadtest.headless import SCENARIOS, run_headless
from loadtest.machine import machine
from loadtest.report import write_report

# The scenarios whose requests wait on what the fault axis slows down (users, items).
FAULTED_SCENARIOS = ("ItemsOwners", "ItemsMixed")


@dataclasses.dataclass(frozen=True)
class RunningSystem:
    gateway_url: str
    supervisor: Supervisor
    redis_url: str | None  # its own Redis when it was started for faults

    def resident_mb(self) -> dict[str, float]:
        """Resident memory of each process (a service, the worker, beat, nginx)."""
        return {name: _resident_mb(pid) for name, pid in self.supervisor.pids().items()}


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class ExternalSystem:
    """A system this process did not start: its memory is not ours to read."""

    def __init__(self, gateway_url: str, redis_url: str | None):
        self.gateway_url = gateway_url
        self.redis_url = redis_url

    def resident_mb(self) -> dict[str, float]:
        return {}


# Every Locust user of a cell sends from one address, as fast as the system answers: a
# per-client limit of the gateway would be what the cell measures. Whatever the
# environment says, the system the bench starts has none.
UNLIMITED_GATEWAY = {READ_RATE: "0", WRITE_RATE: "0"}


def system_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a system the bench starts: `environ` with ports of its own (the
    bench may run beside `make run`) and a gateway without per-client limits."""
    return {
        **environ,
        "GATEWAY_PORT": str(free_port()),
        "PROMETHEUS_PORT": str(free_port()),
        **UNLIMITED_GATEWAY,
    }


@contextlib.contextmanager
def running_system(backend: str, log: Path, *, faults: bool = False) -> Iterator[RunningSystem]:
    """The whole system with every database on `backend`; with `faults`, its services
    read their fault switches, from a Redis of the system's own."""
    with contextlib.ExitStack() as exits:
        data = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        data.chmod(0o755)  # nginx workers run as another user
        out = exits.enter_context(log.open("a"))
        environ = system_environment(os.environ)
        redis_url = None
        if faults:
            # The machine's Redis may serve another system (`make run`, another bench):
            # faults written there would slow it too.
            redis_url = exits.enter_context(RedisServer(data / "redis", free_port())).url
            environ |= {
                "REDIS_URL": redis_url,
                "FAULTS_ENABLED": "true",
                "FAULT_ADMIN_TOKEN": secrets.token_urlsafe(24),
            }
        supervisor = Supervisor(out)
        stack = Stack(repo_root(), environ, supervisor, exits, bench_services(backend), data=data)
        gateway, _prometheus = stack.start()
        yield RunningSystem(gateway.url, supervisor, redis_url)


def prepare_bench_data(databases: Sequence[str], out: TextIO) -> None:
    """The bench data on each database's configured server (POSTGRES_URL, MYSQL_URL),
    seeded when missing; where nothing answers, the run starts a server of its own and
    seeds that, every run."""
    for database in databases:
        server = configured_server(database)
        if ensure_reachable(server):
            ensure_bench_data(bench_database_urls(server), out)
        else:
            print(
                f"{database}: nothing answers at {server}: this run starts a server of its "
                "own and seeds it (minutes, every run; a running server keeps the data)",
                file=out,
                flush=True,
            )


class Progress:
    """One line: which cell, and how long the rest should take."""

    def __init__(self, total_cells: int, seconds_per_cell: float):
        self.total = total_cells
        self.per_cell = seconds_per_cell
        self.done = 0

    def show(self, label: str) -> None:
        left = (self.total - self.done) * self.per_cell
        bar = "#" * (20 * self.done // self.total)
        sys.stderr.write(
            f"\r[{bar:<20}] cell {self.done + 1}/{self.total} {label:<28} ~{left / 60:.0f} min left"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write(f"\r[{'#' * 20}] {self.total} cells done{' ' * 40}\n")


def run_matrix(
    args: argparse.Namespace, out_dir: Path
) -> tuple[list[Cell], dict[str, dict[str, float]]]:
    """The cells, and per database the resident memory of each process after its runs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cells: list[Cell] = []
    memory: dict[str, dict[str, float]] = {}
    conditions: Sequence[Condition] = args.conditions
    cells_per_database = len(conditions) * len(args.modes) * len(args.concurrency)
    progress = Progress(len(args.databases) * cells_per_database, args.warmup + args.seconds + 3)
    for database in args.databases:
        system_context: contextlib.AbstractContextManager[RunningSystem | ExternalSystem]
        if args.gateway:
            system_context = contextlib.nullcontext(ExternalSystem(args.gateway, args.redis_url))
        else:
            system_context = running_system(database, out_dir / "system.log", faults=args.faulted)
        with system_context as system, _fault_switch(args, system.redis_url) as switch:
            for condition, mode, users in itertools.product(
                conditions, args.modes, args.concurrency
            ):
                label = f"{mode} {database} c={users}"
                if switch is not None:
                    switch.apply(condition)  # every cell: FaultSwitch.apply says why
                    label += f" {condition.slug}"
                progress.show(label)
                # Locust names its raw files by scenario, mode and users: a folder per condition.
                raw = out_dir / "raw" / database / (condition.slug if switch else "")
                cells.append(
                    measure_cell(args, system.gateway_url, raw, database, condition, mode, users)
                )
                progress.done += 1
            if resident := system.resident_mb():
                memory[database] = resident
    progress.finish()
    return cells, memory


def _fault_switch(
    args: argparse.Namespace, redis_url: str | None
) -> contextlib.AbstractContextManager[FaultSwitch | None]:
    if not args.faulted:
        return contextlib.nullcontext()
    if redis_url is None:
        raise SystemExit("the fault axis needs the system's Redis (--redis-url)")
    return switched_faults(redis_url)


def measure_cell(
    args: argparse.Namespace,
    gateway_url: str,
    raw: Path,
    database: str,
    condition: Condition,
    mode: str,
    users: int,
) -> Cell:
    """One headless Locust run, as a cell of the report."""
    run = run_headless(
        gateway_url,
        args.scenario,
        mode=mode,
        users=users,
        seconds=args.seconds,
        warmup=args.warmup,
        accounts=args.accounts,
        out_dir=raw,
    )
    total = run.stats.get("Aggregated")
    if total is None:
        raise SystemExit(f"\nLocust wrote no stats:\n{run.log}")
    return Cell(
        scenario=args.scenario,
        mode=mode,
        database=database,
        concurrency=users,
        requests=total.requests,
        failures=total.failures,
        rps=total.rps,
        p50_ms=total.p50_ms,
        p95_ms=total.p95_ms,
        p99_ms=total.p99_ms,
        generator_cpu=run.generator_cpu,
        upstream_latency_ms=condition.upstream_latency_ms,
        slow_statement_ms=condition.slow_statement_ms,
    )


def _levels(text: str) -> list[int]:
    levels = sorted({int(part) for part in text.split(",") if part.strip()})
    if not levels or levels[0] < 1:
        raise argparse.ArgumentTypeError("concurrency levels are positive integers")
    return levels


def _names(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        unknown = set(names) - set(allowed)
        if not names or unknown:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return names

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help="default: UsersRead; ItemsOwners with --upstream-latency or --slow-statement",
    )
    parser.add_argument("--modes", type=_names(("async", "sync")), default=["async", "sync"])
    parser.add_argument(
        "--databases",
        type=_names(("postgres", "mysql", "split")),
        default=["postgres", "mysql"],
        help="postgres, mysql; with --gateway also split (the chart's default)",
    )
    parser.add_argument("--concurrency", type=_levels, default=[1, 4, 16, 64, 256])
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=5, help="uncounted seconds per cell")
    parser.add_argument("--accounts", type=int, default=100, help="seeded accounts to log in")
    parser.add_argument("--out", type=Path, default=None, help="default: reports/<timestamp>")
    parser.add_argument(
        "--seed-only", action="store_true", help="only create and seed the bench databases"
    )
    parser.add_argument(
        "--gateway",
        help="measure the system behind this gateway URL instead of starting one; "
        "--databases is then one label for its databases",
    )
    faults = parser.add_argument_group(
        "fault axis", "each value is one more condition every cell is measured under"
    )
    faults.add_argument(
        "--upstream-latency",
        type=milliseconds,
        default=[],
        metavar="MS,...",
        help="milliseconds added to every users response (0: no fault), e.g. 0,20,100",
    )
    faults.add_argument(
        "--slow-statement",
        type=milliseconds,
        default=[],
        metavar="MS,...",
        help="milliseconds every database session of items sleeps first, e.g. 50",
    )
    faults.add_argument(
        "--redis-url", help="with --gateway: that system's Redis, where the faults are set"
    )
    args = parser.parse_args(argv)
    if args.gateway and (args.seed_only or len(args.databases) != 1):
        parser.error("--gateway takes one --databases label and no --seed-only")
    if not args.gateway and "split" in args.databases:
        parser.error("split is a label for --gateway: a local run puts all on one server")
    args.faulted = bool(args.upstream_latency or args.slow_statement)
    args.conditions = axis(args.upstream_latency, args.slow_statement)
    _check_fault_axis(parser, args)
    return args


def _check_fault_axis(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Fills in the scenario; refuses a fault axis that could not show anything."""
    if not args.faulted:
        args.scenario = args.scenario or "UsersRead"
        if args.redis_url:
            parser.error("--redis-url is for the fault axis (--upstream-latency, --slow-statement)")
        return
    args.scenario = args.scenario or "ItemsOwners"
    if args.scenario not in FAULTED_SCENARIOS:
        parser.error(
            f"{args.scenario} does not wait on users or items' database: the fault axis "
            f"measures {' or '.join(FAULTED_SCENARIOS)}"
        )
    if args.gateway and not args.redis_url:
        parser.error("with --gateway the fault axis needs --redis-url, that system's Redis")
    if not args.gateway and args.redis_url:
        parser.error("--redis-url is for --gateway: a started system has a Redis of its own")
    if args.seed_only:
        parser.error("--seed-only measures nothing: no fault axis with it")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed_only:
        for database in args.databases:
            ensure_bench_data(bench_database_urls(configured_server(database)), sys.stdout)
        return 0
    if not args.gateway:
        prepare_bench_data(args.databases, sys.stderr)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = args.out or repo_root() / "reports" / stamp
    started = time.monotonic()
    # SIGTERM (a Job deleted, a timeout) unwinds like Ctrl-C: faults cleared, system stopped.
    with stop_signals():
        try:
            cells, memory = run_matrix(args, out_dir)
        except StopRequested as stop:
            print(f"\nstopped by {stop}: no report", file=sys.stderr)
            return 130
        except (MissingBinary, StackError) as error:
            print(f"\nbench failed: {error}", file=sys.stderr)
            return 1
    title = f"{args.scenario}: sync vs async, Postgres vs MySQL"
    report = write_report(
        cells,
        out_dir,
        memory=memory,
        title=f"{title}, under faults" if args.faulted else title,
        machine=f"{machine()}; {args.seconds:g} s per cell after {args.warmup:g} s warm-up",
    )
    print(f"{report} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
