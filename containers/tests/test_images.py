"""Every image builds from its Dockerfile and runs as the chart runs it: migrations and
services from the same image, a job through tasks and the worker, the gateway in front,
Locust through the gateway, non-root on a read-only root, gone soon after SIGTERM, and a
misconfigured container stopped at once with one line saying why."""

import io
import subprocess
import tarfile
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from clusterkit.containers import Container, image_command, image_user, run_once, start, with_option
from clusterkit.images import IMAGES, build
from devstack.layout import repo_root
from devstack.ports import free_port
from testkit.assertions import assert_invalid, assert_problem

if TYPE_CHECKING:
    from .conftest import System

UIDS = {"users": 10001, "items": 10001, "tasks": 10001, "worker": 10001, "gateway": 101}
PYTHON_PARTS = ("users", "items", "tasks", "worker", "loadtest")
REPO = repo_root()


def demo_token(system: "System") -> str:
    return system.login("demo@example.com", "demo-password")


def test_users_image_creates_reads_and_refuses_bad_input(system: "System") -> None:
    base = system.urls["users"]
    created = httpx.post(
        f"{base}/api/users",
        json={"name": "Ada Lovelace", "email": "ada@example.com", "password": "analytical-engine"},
    )
    assert created.status_code == 201, created.text
    read = httpx.get(f"{base}/sync/api/users/{created.json()['id']}")
    assert read.status_code == 200
    assert read.json()["name"] == "Ada Lovelace"
    assert_invalid(httpx.post(f"{base}/api/users", json={"name": "Ada", "admin": True}))


def test_items_image_creates_reads_and_refuses_bad_input(system: "System") -> None:
    base = system.urls["items"]
    headers = {"Authorization": f"Bearer {demo_token(system)}"}
    created = httpx.post(f"{base}/api/items", json={"title": "Brass lantern"}, headers=headers)
    assert created.status_code == 201, created.text
    read = httpx.get(f"{base}/api/items/{created.json()['id']}", params={"expand": "owner"})
    assert read.status_code == 200, read.text
    assert read.json()["title"] == "Brass lantern"
    assert_invalid(httpx.post(f"{base}/sync/api/items", json={"title": 7}, headers=headers))
    assert_problem(httpx.post(f"{base}/api/items", json={"title": "No token"}), 401)


def test_tasks_image_creates_reads_and_refuses_bad_input(system: "System") -> None:
    base = system.urls["tasks"]
    headers = {"Authorization": f"Bearer {demo_token(system)}"}
    created = httpx.post(f"{base}/sync/api/tasks", json={"title": "Water plants"}, headers=headers)
    assert created.status_code == 201, created.text
    done = httpx.put(f"{base}/api/tasks/{created.json()['id']}/done", headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["done"] is True
    bad_date = {"title": "Later", "due_date": "someday"}
    assert_invalid(httpx.post(f"{base}/api/tasks", json=bad_date, headers=headers))


def test_worker_image_runs_a_job_submitted_through_the_tasks_image(system: "System") -> None:
    headers = {"Authorization": f"Bearer {demo_token(system)}"}
    job = {"kind": "reports.user_summary", "params": {"user_id": 1}}
    submitted = httpx.post(f"{system.urls['tasks']}/api/jobs", json=job, headers=headers)
    assert submitted.status_code == 202, submitted.text
    location = system.urls["tasks"] + submitted.headers["location"]

    record = wait_until_ended(location, headers)

    assert record["status"] == "succeeded", (record, system.containers["worker"].logs()[-3000:])
    assert record["result"]["user"]["id"] == 1
    metrics = httpx.get(f"http://127.0.0.1:{system.env['worker']['METRICS_PORT']}/metrics")
    succeeded = [
        line
        for line in metrics.text.splitlines()
        if line.startswith("jobs_succeeded_total{") and 'kind="reports.user_summary"' in line
    ]
    assert succeeded
    assert float(succeeded[0].split()[-1]) >= 1


def wait_until_ended(location: str, headers: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record: dict[str, Any] = httpx.get(location, headers=headers).json()
        if record["status"] in ("succeeded", "failed"):
            return record
        time.sleep(0.2)
    pytest.fail(f"the job never ended: {record}")


def test_gateway_image_routes_to_the_service_images(system: "System") -> None:
    gateway = system.urls["gateway"]

    users = httpx.get(f"{gateway}/api/users", params={"limit": 2})
    items = httpx.get(f"{gateway}/sync/api/items", params={"limit": 2})
    nowhere = httpx.get(f"{gateway}/api/nothing-here")

    assert users.status_code == 200, users.text
    assert len(users.json()["items"]) == 2
    assert items.status_code == 200, items.text
    assert "next_cursor" in items.json()
    assert_problem(nowhere, 404)
    access = [
        line for line in system.containers["gateway"].logs().splitlines() if "/api/users" in line
    ]
    assert access
    assert '"service":"gateway"' in access[-1]


def test_gateway_image_serves_the_api_document_and_its_ui_from_its_own_files(
    system: "System",
) -> None:
    gateway = system.urls["gateway"]

    document = httpx.get(f"{gateway}/openapi.json")
    page = httpx.get(f"{gateway}/docs")
    assets = [httpx.get(f"{gateway}/docs/{name}") for name in ("swagger-ui.css", "favicon.png")]

    assert document.status_code == 200
    assert document.headers["content-type"] == "application/json"
    assert document.text == (repo_root() / "gateway" / "openapi.json").read_text()
    assert page.status_code == 200
    assert page.text == (repo_root() / "gateway" / "docs" / "index.html").read_text()
    assert [asset.status_code for asset in assets] == [200, 200]
    assert_problem(httpx.post(f"{gateway}/openapi.json"), 405)


def test_loadtest_image_runs_headless_through_the_gateway_without_failures(
    system: "System",
) -> None:
    command = ["locust", "-f", "locustfile.py", "--headless", "--only-summary"]
    command += ["--users", "4", "--spawn-rate", "4", "--run-time", "10s", "--accounts", "40"]
    command += ["--host", system.urls["gateway"], "UsersRead", "TasksCrud"]

    done = run_once(system.tool, system.images["loadtest"], command, timeout=90)

    # Locust's exit code is 1 when any request failed.
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = [line for line in (done.stdout + done.stderr).splitlines() if "Aggregated" in line]
    requests, failures = summary[0].split()[1:3]
    assert int(requests) > 0
    assert failures.startswith("0")


def test_loadtest_image_serves_the_web_ui_by_default(tool: str, images: dict[str, str]) -> None:
    web, metrics = free_port(), free_port()
    command = with_option(image_command(tool, images["loadtest"]), "--web-port", str(web))
    command = with_option(command, "--metrics-port", str(metrics))
    command += ["--web-host", "127.0.0.1", "--host", "http://127.0.0.1:9"]
    container = start(tool, images["loadtest"], command)
    try:
        page = wait_for(f"http://127.0.0.1:{web}/", container)
        assert page.status_code == 200
        for scenario in ("UsersRead", "ItemsMixed", "TasksCrud", "Jobs"):
            assert scenario in page.text
        assert "locust_users" in httpx.get(f"http://127.0.0.1:{metrics}/metrics").text
        stopped_within_ten_seconds_of_sigterm(container)
    finally:
        container.remove()


def wait_for(
    url: str, container: Container, status: int | None = None, timeout: float = 60
) -> httpx.Response:
    """The first answer from `url` (with `status`, when given) while the container runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url)
            if status is None or response.status_code == status:
                return response
        except httpx.TransportError:
            pass  # not listening yet, or restarting
        assert container.running(), container.logs()[-3000:]
        time.sleep(0.2)
    expected = f" {status}" if status else ""
    pytest.fail(f"{url} never answered{expected}; log:\n{container.logs()[-3000:]}")


@pytest.mark.parametrize("part", list(UIDS))
def test_each_container_runs_as_its_non_root_user_on_a_read_only_root(
    system: "System", part: str
) -> None:
    container = system.containers[part]

    assert image_user(system.tool, system.images[part]) == f"{UIDS[part]}:{UIDS[part]}"
    assert container.exec("id", "-u").stdout.strip() == str(UIDS[part])
    assert container.exec("touch", "/etc/written").returncode != 0
    assert container.exec("touch", "/tmp/written").returncode == 0


@pytest.mark.parametrize("part", PYTHON_PARTS)
def test_python_images_carry_neither_uv_nor_a_compiler_nor_tests(
    tool: str, images: dict[str, str], part: str
) -> None:
    # The project's own tests stay out; what packages in the venv ship is theirs.
    probe = "command -v uv gcc cc; find /app -path /app/.venv -prune -o -name tests -print"

    done = run_once(tool, images[part], ["sh", "-c", probe])

    assert done.stdout.strip() == ""


@pytest.mark.parametrize(
    ("part", "unset", "named"),
    [
        ("users", "DATABASE_URL", "missing DATABASE_URL"),
        ("users", "JWT_PRIVATE_KEY", "missing JWT_PRIVATE_KEY"),
        ("items", "JWT_PUBLIC_KEY", "missing JWT_PUBLIC_KEY"),
        ("tasks", "DATABASE_URL", "missing DATABASE_URL"),
        ("worker", "TASKS_DATABASE_URL", "missing TASKS_DATABASE_URL"),
        ("gateway", "USERS_UPSTREAM", "missing USERS_UPSTREAM"),
    ],
)
def test_a_misconfigured_container_stops_at_once_with_one_line(
    system: "System", part: str, unset: str, named: str
) -> None:
    env = {name: value for name, value in system.env[part].items() if name != unset}
    if part == "gateway":
        env[unset] = ""  # the image sets a default; an empty value is the mistake here

    done = run_once(system.tool, system.images[part], env=env, timeout=30)

    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_gateway_upstream_that_is_not_one_nginx_token_is_refused(system: "System") -> None:
    env = system.env["gateway"] | {"ITEMS_UPSTREAM": "items:8000; return 200"}

    done = run_once(system.tool, system.images["gateway"], env=env, timeout=30)

    assert done.returncode != 0
    assert done.stderr.strip() == "gateway: invalid ITEMS_UPSTREAM (not a single nginx token)"


@pytest.fixture
def users_dev_image(tool: str, images: dict[str, str]) -> Iterator[str]:
    """users' `dev` target (what skaffold dev deploys), under this run's tag."""
    tag = images["users"].rsplit(":", 1)[1] + "-dev"
    name = build(next(i for i in IMAGES if i.part == "users"), tag, tool, target="dev", log=None)
    yield name
    subprocess.run([tool, "rmi", "--no-prune", name], capture_output=True, check=False)


def test_the_dev_image_reloads_a_file_synced_the_way_skaffold_syncs(
    system: "System", users_dev_image: str
) -> None:
    port = free_port()
    command = with_option(image_command(system.tool, users_dev_image), "--host", "127.0.0.1")
    command = with_option(command, "--port", str(port))
    assert "--reload" in command
    container = start(system.tool, users_dev_image, command, system.env["users"])
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/readyz", container).status_code == 200
        assert httpx.get(f"{base}/dev-sync-probe").status_code == 404
        # What skaffold's file sync runs in the container: the changed files as a tar
        # stream, unpacked at the artifact's dest (/tmp/dev) with their repository paths.
        source = "services/users/src/users_service/main.py"
        changed = (REPO / source).read_text() + PROBE_ROUTE
        untar = ["tar", "xmf", "-", "-C", "/", "--no-same-owner"]
        synced = subprocess.run(
            [system.tool, "exec", "-i", container.id, *untar],
            input=tar_of({f"tmp/dev/{source}": changed}),
            capture_output=True,
            check=False,
        )
        assert synced.returncode == 0, synced.stderr
        assert wait_for(f"{base}/dev-sync-probe", container, status=200).json() == {"synced": True}
    finally:
        container.remove()


PROBE_ROUTE = """

@app.get("/dev-sync-probe")
def dev_sync_probe() -> dict[str, bool]:
    return {"synced": True}
"""


def tar_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# Last in this module: it stops the system's containers.
@pytest.mark.parametrize("part", list(UIDS))
def test_each_container_stops_within_ten_seconds_of_sigterm(system: "System", part: str) -> None:
    stopped_within_ten_seconds_of_sigterm(system.containers[part])


def stopped_within_ten_seconds_of_sigterm(container: Container) -> None:
    assert container.running(), container.logs()[-3000:]
    container.signal("TERM")
    code = container.wait(timeout=10)
    assert code is not None, f"still running 10 s after SIGTERM:\n{container.logs()[-3000:]}"
    assert code in (0, 143), container.logs()[-3000:]
