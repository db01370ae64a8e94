"""Every `make` target the README or a page of docs/ names works on a fresh clone, or
stops with one line saying what is missing or what to run first: never a traceback, never
a page of output.

A fresh clone is `git clone` of the committed HEAD, with `make install` run once (it
bootstraps uv with the machine's python3 when no uv is on the PATH). Cheap targets run
for real; the expensive ones run up to their first step's guard, with what it guards
missing: no database server answering, no cluster tool, a port taken. `make test` (and
`make chart-test`, a part of it) are what CI runs on a fresh clone, so not run here.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from devstack.databases import create_database, drop_database, with_database
from devstack.ports import free_port
from devstack.servers import PostgresServer
from loadtest.ceiling_folder import write_ceiling_report
from loadtest.ceiling_report import Result
from loadtest.gc_probe import GcFigures

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[1]
# The README and every page of the documentation: what a reader may type.
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DOCUMENTED = "\n".join(document.read_text() for document in DOCUMENTS)
MAKEFILE = (ROOT / "Makefile").read_text()
MAKEFILE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE))
# `make run`, `make seed N=...`; prose such as "make sure" is not a target and is left out.
NAMED_TARGETS = sorted(set(re.findall(r"\bmake ([a-z][a-z-]*)", DOCUMENTED)) & MAKEFILE_TARGETS)
# What make itself prints when a recipe fails: not the target's own output.
MAKE_OWN = re.compile(r"^make(\[\d+\])?: ")


@dataclass
class Clone:
    path: Path
    env: dict[str, str]
    timeout: float = 300  # of one `make`

    def make(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`make -s` (no recipe echo): what is left is what the target prints."""
        return subprocess.run(
            ["make", "-s", "-C", str(self.path), *args],
            env=self.env | env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )


def machine_env() -> dict[str, str]:
    """The environment a person has: no virtual environment of this test run on PATH
    (python3 is then the machine's, as the bootstrap expects)."""
    venv = Path(sys.prefix)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if not Path(p).is_relative_to(venv)]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return env | {"PATH": os.pathsep.join(path)}


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Clone:
    target = tmp_path_factory.mktemp("fresh") / "pyservices"
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", "--detach", head], check=True)
    fresh = Clone(target, machine_env())
    installed = fresh.make("install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return fresh


def reason(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed target printed; fails the test on anything else."""
    output = done.stdout + done.stderr
    assert done.returncode != 0, f"expected a stop, it succeeded:\n{output}"
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip() and not MAKE_OWN.match(line)]
    assert len(lines) == 1, "expected one line:\n" + "\n".join(lines)
    return lines[0]


# --- one check per target ----------------------------------------------------------------


def check_help(clone: Clone) -> None:
    done = clone.make("help")
    assert done.returncode == 0, done.stderr
    for target in NAMED_TARGETS:
        assert re.search(rf"^\s+(\x1b\[\d+m)?{target}(?=\s|\x1b)", done.stdout, re.M), target


def check_install(clone: Clone) -> None:
    # The fixture ran it on the fresh clone; run again it changes nothing.
    assert (clone.path / ".venv" / "bin" / "python").exists()
    assert clone.make("install").returncode == 0


def check_run(clone: Clone) -> None:
    """Its first step checks every port before anything starts (the whole run on a bare
    machine is tests/test_fresh_machine.py)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = clone.make("run", GATEWAY_PORT=str(port), PROMETHEUS_PORT=str(free_port()))
    # After the reason, make run says it stopped: a status, not a second reason. Its
    # output is a pipe here, so its lines are JSON (LOG_FORMAT=auto).
    done.stdout = "\n".join(
        line for line in done.stdout.splitlines() if not line.endswith('"message": "stopped"}')
    )
    assert "is already in use" in reason(done)


def check_seed(clone: Clone, server_urls: dict[str, str]) -> None:
    name = f"users_fresh_clone_{os.getpid()}"
    url = with_database(server_urls["postgres"], name)
    create_database(url, name)
    try:
        unmigrated = clone.make("seed", "N=3", DATABASE_URL=url)
        assert "`make run` migrates it" in reason(unmigrated)
        alembic = [".venv/bin/alembic", "-c", "services/users/alembic.ini", "upgrade", "head"]
        env = clone.env | {"DATABASE_URL": url}
        subprocess.run(alembic, cwd=clone.path, env=env, capture_output=True, check=True)
        seeded = clone.make("seed", "N=3", DATABASE_URL=url)
        assert seeded.returncode == 0, seeded.stderr
        assert "seeded 3 users" in seeded.stderr
    finally:
        drop_database(url, name)


def closed_servers() -> dict[str, str]:
    port = free_port()  # nothing listens there
    return {
        "POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
        "MYSQL_URL": f"mysql://root@127.0.0.1:{port}/",
    }


def check_seed_bench(clone: Clone) -> None:
    """It needs running servers to keep the data; loadtest/tests/test_bench_data.py seeds."""
    assert "nothing answers at" in reason(clone.make("seed-bench", **closed_servers()))


def check_bench_ceiling(clone: Clone) -> None:
    """Its first step is the bench data (seeded when missing, loadtest.bench_data): with
    no server to hold it, it stops there, before wrk or any app."""
    assert "nothing answers at" in reason(clone.make("bench-ceiling", **closed_servers()))


def check_bench(clone: Clone) -> None:
    """Its first step, which --seed-only runs alone: the bench data seeded, saying so,
    into a Postgres of the test's own that has none (five users: BENCH_USERS), and found
    there the next time. The measuring after it is no test's business."""
    # Not under pytest's tmp_path: the postgres account cannot enter that.
    with tempfile.TemporaryDirectory(prefix="bench-first-step-") as folder:
        Path(folder).chmod(0o755)
        with PostgresServer(Path(folder) / "postgres", free_port()) as postgres:
            args = ["BENCH_ARGS=--seed-only --databases postgres"]
            env = {"POSTGRES_URL": postgres.url, "BENCH_USERS": "5"}
            first = clone.make("bench", *args, **env)
            again = clone.make("bench", *args, **env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "seeding the bench data (5 users" in first.stdout
    assert again.returncode == 0, again.stderr
    assert "seeding" not in again.stdout


def check_loadtest_ui(clone: Clone) -> None:
    """A server that runs until stopped: it serves its page, then stops on SIGTERM."""
    port = free_port()
    argv = ["make", "-s", "-C", str(clone.path), "loadtest-ui"]
    env = clone.env | {"LOCUST_WEB_PORT": str(port), "LOCUST_METRICS_PORT": str(free_port())}
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        else:
            pytest.fail(f"Locust's web UI never answered:\n{process.communicate()[0]!r}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def helm_argument() -> str:
    """A helm the machine has (a make argument: the Makefile's own HELM := overrides the
    environment), so the cluster targets do not fetch one first."""
    helm = shutil.which("helm") or str(ROOT / ".tools" / "bin" / "helm")
    if not Path(helm).exists():
        pytest.skip("no helm here to hand the cluster targets (make test fetches one)")
    return f"HELM={helm}"


def without_cluster_tools(clone: Clone) -> dict[str, str]:
    """PATH without kind, skaffold or docker: the targets must say where to get them
    (and a machine that has them must not get a cluster made by a test)."""
    path = "/usr/bin:/bin"
    for tool in ("kind", "skaffold", "docker"):
        if shutil.which(tool, path=path):
            pytest.skip(f"{tool} is in {path}: this check would use it for real")
    return {"PATH": path}


def check_cluster_target(target: str) -> Callable[[Clone], None]:
    def check(clone: Clone) -> None:
        done = clone.make(target, helm_argument(), **without_cluster_tools(clone))
        assert re.search(r"not found: install it from https://", reason(done))

    return check


def check_cluster_smoke(clone: Clone, tmp_path: Path) -> None:
    """kubectl may be installed; no cluster answers at the kubeconfig given here."""
    config = tmp_path / "kubeconfig"
    server = f"https://127.0.0.1:{free_port()}"
    config.write_text(
        f"""\
apiVersion: v1
kind: Config
clusters: [{{name: none, cluster: {{server: '{server}'}}}}]
users: [{{name: none, user: {{token: none}}}}]
contexts: [{{name: none, context: {{cluster: none, user: none}}}}]
current-context: none
"""
    )
    line = reason(clone.make("cluster-smoke", KUBECONFIG=str(config)))
    assert "kubectl not found" in line or "deploy first" in line


def check_images(clone: Clone) -> None:
    """Builds with podman or docker; without either it says so (the builds themselves
    are containers/tests/test_images.py)."""
    assert "neither podman nor" in reason(clone.make("images", CONTAINER_TOOL="no-such-tool"))


def check_run_by_ci(clone: Clone) -> None:
    """`make test` is what .ci/run runs on a fresh clone; chart-test's suites are in it."""
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == "make test"
    chart_test = re.search(r"^chart-test:.*\n\t\$\(RUN\) pytest (.*)$", MAKEFILE, re.MULTILINE)
    assert chart_test is not None
    testpaths = re.search(r"^testpaths = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.M)
    assert testpaths is not None
    for path in chart_test.group(1).split():
        assert path.split("/")[0] in testpaths.group(1), path


def check_regenerated(target: str) -> Callable[[Clone], None]:
    """The generated files of a fresh clone are what the target makes: it changes nothing."""

    def check(clone: Clone) -> None:
        done = clone.make(target)
        assert done.returncode == 0, done.stdout + done.stderr
        changed = subprocess.run(
            ["git", "-C", str(clone.path), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert changed == "", changed

    return check


def check_docs(clone: Clone) -> None:
    """The site builds in strict mode into site/, which git ignores."""
    done = clone.make("docs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (clone.path / "site" / "index.html").is_file()
    assert _changed(clone) == ""


def check_docs_report(clone: Clone, tmp_path: Path) -> None:
    """Without a report folder it says which to give; with one made by the report code
    it changes the load-test page and its plots, nothing else."""
    assert "REPORT=reports/<time>" in reason(clone.make("docs-report"))
    folder = tmp_path / "reports" / "ceiling-20261207-184000"
    write_ceiling_report(
        {"a": CEILING_ROW},
        folder,
        concurrency=32,
        seconds=8,
        rounds=3,
        machine="a test's machine",
        measured_at=datetime(2026, 12, 7, 18, 40, tzinfo=UTC),
    )
    done = clone.make("docs-report", f"REPORT={folder}")
    assert done.returncode == 0, done.stdout + done.stderr
    changed = [line[3:] for line in _changed(clone).splitlines()]
    assert "docs/load-tests.md" in changed, changed
    assert all(path.startswith("docs/load-tests") for path in changed), changed
    page = (clone.path / "docs" / "load-tests.md").read_text()
    assert "measured 2026-12-07 18:40 UTC on a test's machine" in page
    subprocess.run(["git", "-C", str(clone.path), "checkout", "--", "docs"], check=True)
    subprocess.run(["git", "-C", str(clone.path), "clean", "-fdq", "docs"], check=True)


def _changed(clone: Clone) -> str:
    return subprocess.run(
        ["git", "-C", str(clone.path), "status", "--porcelain", "--untracked-files=normal"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


# One row of the ceiling: enough for report.md, ceiling.json and the plot.
CEILING_ROW = Result(
    "a", "users list, async", 1500.0, 20.0, 30.0, 0, GcFigures(8.0, 6.0, (0, 0, 0), 0, 0, 0)
)


CHECKS: dict[str, Callable[..., None]] = {
    "help": check_help,
    "install": check_install,
    "run": check_run,
    "test": check_run_by_ci,
    "chart-test": check_run_by_ci,
    "seed": check_seed,
    "seed-bench": check_seed_bench,
    "bench": check_bench,
    "bench-ceiling": check_bench_ceiling,
    "loadtest-ui": check_loadtest_ui,
    "images": check_images,
    "kind-up": check_cluster_target("kind-up"),
    "kind-down": check_cluster_target("kind-down"),
    "dev": check_cluster_target("dev"),
    "deploy": check_cluster_target("deploy"),
    "cluster-smoke": check_cluster_smoke,
    "openapi": check_regenerated("openapi"),
    "client": check_regenerated("client"),
    "dashboards": check_regenerated("dashboards"),
    "docs": check_docs,
    "docs-report": check_docs_report,
}


def test_every_target_the_documents_name_is_a_target_of_the_makefile() -> None:
    named = set(re.findall(r"`make ([a-z][a-z-]*)", DOCUMENTED))

    assert named <= MAKEFILE_TARGETS


def test_every_target_the_documents_name_has_a_check_here() -> None:
    assert set(NAMED_TARGETS) <= set(CHECKS), "add a check for the new target"


@pytest.mark.parametrize("target", NAMED_TARGETS)
def test_target_works_on_a_fresh_clone_or_says_what_to_do_first(
    target: str, clone: Clone, request: pytest.FixtureRequest
) -> None:
    check = CHECKS[target]
    wanted = check.__code__.co_varnames[: check.__code__.co_argcount]
    extra = {name: request.getfixturevalue(name) for name in wanted if name != "clone"}
    check(clone, **extra)
