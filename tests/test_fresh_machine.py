"""The README's two commands on a machine as a newcomer has it: Debian 12 with Python
3.11 and make, as root, with no python3-venv, no pip, no database, Redis, nginx or
Prometheus. A podman container from such a base gets a fresh clone of the committed
HEAD (`git clone` on the host, mounted read-only, copied to /root as a clone there would
be), runs `make install`, then `make run`, and through the gateway the demo account logs
in, reads a users page and marks a task done.

The base is .ci/podman-setup's debootstrapped bookworm without python3-venv (and the
ensurepip wheels), pip or apt sources of its own: apt inside uses the machine's sources
and keyrings, copied in. Downloads are cached under $PYSERVICES_CACHE/fresh-machine
(default /var/cache/pyservices): the .debs are copied in and the new ones back, the uv
and pip caches are shared; every package is still installed and the venv built afresh.
Everything runs inside the container (its own network namespace), so the machine's
servers and ports are never seen.
"""

import json
import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusterkit.apt_sources import source_files, sources
from clusterkit.images import NoContainerTool, container_tool

pytestmark = pytest.mark.timeout(1800)

ROOT = Path(__file__).resolve().parents[1]
BASE = "localhost/debian-python:bookworm"  # made by .ci/podman-setup
CACHE = Path(os.environ.get("PYSERVICES_CACHE", "/var/cache/pyservices")) / "fresh-machine"
# Python as Debian ships it when asked for python3 alone: no venv module (ensurepip lives
# in python3.11-venv), no pip, and no apt source but the machine's (copied in at run).
NEWCOMER_CONTAINERFILE = f"""\
FROM {BASE}
RUN apt-get purge -y -qq --auto-remove python3-venv python3.11-venv python3-pip-whl \\
        python3-setuptools-whl >/dev/null \\
    && rm -f /etc/apt/sources.list && rm -rf /etc/apt/sources.list.d/* /var/lib/apt/lists/*
"""
CLONE = "/root/pyservices"
DEBS = "/var/cache/apt/archives"
READY_SECONDS = 900  # cold: PostgreSQL, MariaDB, Redis, nginx, Prometheus from apt
TIMEOUT = READY_SECONDS + 60
GATEWAY = "http://127.0.0.1:8080"

# Run inside the container by its own python3: what a newcomer's curl lines do.
WAIT_FOR_GATEWAY = f"""
import os, sys, time, urllib.request
deadline = time.monotonic() + {READY_SECONDS}
while time.monotonic() < deadline:
    if os.path.exists("/root/run.exit"):
        sys.exit("make run exited with " + open("/root/run.exit").read().strip())
    try:
        urllib.request.urlopen("{GATEWAY}/api/users?limit=1", timeout=2)
        sys.exit(0)
    except OSError:
        time.sleep(1)
sys.exit("the gateway did not answer within {READY_SECONDS} s")
"""
DEMO_SESSION = f"""
import json, urllib.parse, urllib.request
def call(method, path, token=None, form=None):
    headers = {{"Authorization": "Bearer " + token}} if token else {{}}
    data = urllib.parse.urlencode(form).encode() if form else None
    request = urllib.request.Request("{GATEWAY}" + path, data, headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.load(response)
form = {{"username": "demo@example.com", "password": "demo-password"}}
status, login = call("POST", "/api/auth/token", form=form)
token = login["access_token"]
users = call("GET", "/api/users?limit=5")
tasks = call("GET", "/api/tasks?limit=1", token)
task_id = tasks[1]["items"][0]["id"]
done = call("PUT", f"/api/tasks/{{task_id}}/done", token)
print(json.dumps({{"login": status, "users": users, "done": done}}))
"""


PREMISE = """
python3 -m venv /tmp/venv >/dev/null 2>&1 && exit 1
python3 -m pip --version 2>/dev/null && exit 2
for program in make initdb pg_ctl mariadbd redis-server nginx prometheus; do
    command -v $program && exit 3
done
[ ! -e /usr/lib/postgresql ]
"""


def python(code: str) -> str:
    """A shell line that runs `code` with the container's python3."""
    return f"python3 -c {shlex.quote(code)}"


@pytest.fixture(scope="module")
def tool() -> str:
    try:
        found = container_tool()
    except NoContainerTool as error:
        pytest.skip(str(error))
    if subprocess.run([found, "image", "exists", BASE], check=False).returncode != 0:
        message = f"{BASE} is missing: run .ci/podman-setup once"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def newcomer_image(tool: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Built from BASE each run (cached layers after the first); untagged after, its
    layers kept as build cache, as containers/tests do with theirs."""
    folder = tmp_path_factory.mktemp("newcomer-image")
    (folder / "Containerfile").write_text(NEWCOMER_CONTAINERFILE)
    name = f"localhost/pyservices-newcomer:test-{os.getpid()}"
    build = [tool, "build", "--quiet", "--pull=never", "-t", name, str(folder)]
    built = subprocess.run(build, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    try:
        yield name
    finally:
        subprocess.run([tool, "rmi", "--no-prune", name], capture_output=True, check=False)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """What `git clone` of this repository gives: its committed HEAD, nothing else."""
    head = git("rev-parse", "HEAD").strip()
    target = tmp_path / "clone"
    git("clone", "--quiet", "--no-checkout", str(ROOT), str(target))
    git("-C", str(target), "checkout", "--quiet", "--detach", head)
    return target


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def machine_apt_files() -> list[Path]:
    """The machine's apt sources and the keyrings they name (a missing one is not ours)."""
    keyrings = {Path(keyring) for source in sources() for keyring in source.keyrings}
    trusted = Path("/etc/apt/trusted.gpg.d")
    extra = sorted(trusted.iterdir()) if trusted.is_dir() else []
    return [*source_files(), *sorted(k for k in keyrings if k.is_file()), *extra]


class Machine:
    """One container, by id; every step's output and time are kept for the report."""

    def __init__(self, tool: str, container_id: str) -> None:
        self.tool = tool
        self.id = container_id
        self.seconds: dict[str, float] = {}

    def run(self, step: str, script: str, timeout: float = 900) -> str:
        """What `script` printed on stdout; fails the test when it fails."""
        started = time.monotonic()
        done = subprocess.run(
            [self.tool, "exec", self.id, "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.seconds[step] = time.monotonic() - started
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{step} failed ({done.returncode}):\n{output[-6000:]}"
        return done.stdout

    def start(self, script: str) -> None:
        argv = [self.tool, "exec", "--detach", self.id, "sh", "-c", script]
        subprocess.run(argv, capture_output=True, check=True)

    def read(self, path: str) -> str:
        argv = [self.tool, "exec", self.id, "cat", path]
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    def copy_in(self, path: Path) -> None:
        self.run_host("cp", str(path), f"{self.id}:{path}")

    def run_host(self, *args: str) -> None:
        subprocess.run([self.tool, *args], capture_output=True, check=True)


@pytest.fixture
def machine(tool: str, newcomer_image: str, clone: Path) -> Iterator[Machine]:
    (CACHE / "debs").mkdir(parents=True, exist_ok=True)
    (CACHE / "xdg").mkdir(parents=True, exist_ok=True)
    options = [
        *("--volume", f"{clone}:/src:ro"),
        *("--volume", f"{CACHE}:/cache"),
        *("--env", "XDG_CACHE_HOME=/cache/xdg"),  # uv's and pip's downloads
    ]
    # HTTPS may go through a proxy only the machine's CA bundle trusts (containers.conf
    # mounts that bundle); uv, unlike Debian's pip, reads it from here.
    if os.environ.get("SSL_CERT_FILE"):
        options += ["--env", f"SSL_CERT_FILE={os.environ['SSL_CERT_FILE']}"]
    create = [tool, "create", *options, newcomer_image, "sleep", "infinity"]
    created = subprocess.run(create, capture_output=True, text=True, check=True)
    box = Machine(tool, created.stdout.strip())
    try:
        for path in machine_apt_files():
            box.copy_in(path)
        box.run_host("start", box.id)
        yield box
    finally:
        subprocess.run([tool, "rm", "--force", "--time", "0", box.id], capture_output=True)
    print(f"\nfresh machine, seconds per step: {json.dumps(box.seconds)}")


def test_make_install_then_make_run_serve_the_demo_on_a_bare_debian(machine: Machine) -> None:
    # The premise: no venv module, no pip, no server of any kind.
    machine.run("premise", PREMISE)
    machine.run(
        "make itself (the README's commands need it)",
        f"cp /cache/debs/*.deb {DEBS}/ 2>/dev/null; apt-get update -qq"
        " && apt-get install -y -qq --no-install-recommends make >/dev/null",
    )
    installed = machine.run("make install", f"cp -a /src {CLONE} && cd {CLONE} && make install")
    assert "installing Debian's python3-pip" in installed  # said, in one line

    machine.start(f"cd {CLONE} && make run >/root/run.log 2>&1; echo $? >/root/run.exit")
    try:
        machine.run("make run, until the gateway answers", python(WAIT_FOR_GATEWAY), TIMEOUT)
        session = json.loads(machine.run("demo session", python(DEMO_SESSION)))
    except AssertionError as error:
        log = machine.read("/root/run.log")[-8000:]
        raise AssertionError(f"{error}\nmake run's output:\n{log}") from None
    finally:
        keep_new_debs(machine)

    assert session["login"] == 200
    status, page = session["users"]
    assert status == 200
    assert page["items"]
    status, task = session["done"]
    assert status == 200
    assert task["done"] is True


def keep_new_debs(machine: Machine) -> None:
    """The .debs this run downloaded, into the cache (renamed into place: another run may
    be reading it)."""
    machine.run(
        "cache the .debs",
        f"cd {DEBS} && for deb in *.deb; do [ -e /cache/debs/$deb ] ||"
        " { cp $deb /cache/debs/.$deb.part && mv /cache/debs/.$deb.part /cache/debs/$deb; }; done",
    )
