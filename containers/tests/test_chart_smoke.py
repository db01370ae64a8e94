"""A smoke run of the rendered chart: its own workloads (the migration and seed Jobs,
users, items, tasks, worker, beat, gateway, Locust) played by podman from the images
of this run, against the machine's own Postgres and MariaDB and a Redis of the run's
own, then used through the gateway in both modes as a client would.

What this does not prove (clusterkit/kube_play.py lists it): scheduling, limits, probes
as a kubelet runs them, kube-proxy, the datastore StatefulSets, NetworkPolicies.
"""

import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from clusterkit.chart_play import (
    RetryingUnavailable,
    ServerRelays,
    drop_release_databases,
    install,
    render_smoke,
)
from clusterkit.cluster_smoke import smoke_job
from clusterkit.kube_play import KubePlay, plan
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.servers import RedisServer
from testkit.apps import MODES
from testkit.assertions import assert_problem

# Started in this order: the gateway resolves its upstreams' names when it starts.
ORDER = ["users", "items", "tasks", "worker", "beat", "gateway", "locust"]
JOB_TIMEOUT = 180
READY_TIMEOUT = 120

pytestmark = pytest.mark.timeout(900)


@dataclass
class Played:
    kube: KubePlay
    addresses: dict[str, str]  # component -> address on the run's network


@pytest.fixture(scope="module")
def played(tool: str, images: dict[str, str], server_urls: dict[str, str]) -> Iterator[Played]:
    """The chart played on a podman network of the run's own."""
    run = f"smoke{os.getpid()}{secrets.token_hex(2)}"
    kube = KubePlay(tool, run)
    try:
        gateway_ip = kube.create_network()
        with tempfile.TemporaryDirectory(prefix="smoke-redis-") as folder:
            redis = RedisServer(Path(folder), free_port())
            targets = {"postgres": server_urls["postgres"], "mysql": server_urls["mysql"]}
            relays = ServerRelays(gateway_ip, targets | {"redis": redis.url})
            with redis, relays as relayed:
                played = plan(render_smoke(images, relayed, run))
                addresses = install(
                    kube, played, ORDER, job_timeout=JOB_TIMEOUT, ready_timeout=READY_TIMEOUT
                )
                yield Played(kube, addresses)
                # Shown beside a failing test: what the pods could not reach, and when.
                print(relays.log_tails())
    finally:
        kube.down()
        drop_release_databases(server_urls, f"{run}_")


@pytest.fixture(scope="module")
def deployment(played: Played) -> dict[str, str]:
    return played.addresses


@pytest.fixture(scope="module")
def gateway(deployment: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"http://{deployment['gateway']}:8080",
        timeout=30,
        transport=RetryingUnavailable(),
    ) as client:
        yield client


@pytest.mark.parametrize("mode", list(MODES))
def test_a_client_registers_logs_in_and_uses_every_service(
    gateway: httpx.Client, mode: str
) -> None:
    api = MODES[mode]
    email = f"smoke-{mode}-{secrets.token_hex(3)}@example.com"
    registered = gateway.post(
        f"{api}/users", json={"name": "Smoke Test", "email": email, "password": "smoke-password"}
    )
    assert registered.status_code == 201, registered.text
    login = gateway.post(
        f"{api}/auth/token", data={"username": email, "password": "smoke-password"}
    )
    assert login.status_code == 200, login.text
    me = {"Authorization": f"Bearer {login.json()['access_token']}"}

    item = gateway.post(f"{api}/items", json={"title": f"Lamp ({mode})"}, headers=me)
    assert item.status_code == 201, item.text
    owner_id = registered.json()["id"]
    listed = gateway.get(f"{api}/items", params={"owner_id": owner_id, "expand": "owner"})
    assert listed.status_code == 200, listed.text
    assert [i["owner"]["name"] for i in listed.json()["items"]] == ["Smoke Test"]

    task = gateway.post(f"{api}/tasks", json={"title": "Water plants"}, headers=me)
    assert task.status_code == 201, task.text
    done = gateway.put(f"{api}/tasks/{task.json()['id']}/done", headers=me)
    assert done.status_code == 200, done.text
    assert done.json()["done"] is True

    job = {"kind": "reports.user_summary", "params": {"user_id": owner_id}}
    submitted = gateway.post(f"{api}/jobs", json=job, headers=me)
    assert submitted.status_code == 202, submitted.text
    record = wait_until_ended(gateway, submitted.headers["location"], me)
    assert record["status"] == "succeeded", record
    assert record["result"]["items"]["count"] == 1
    assert record["result"]["tasks"] == {"open": 0, "done": 1}


def wait_until_ended(
    gateway: httpx.Client, location: str, headers: dict[str, Any]
) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        record: dict[str, Any] = gateway.get(location, headers=headers).json()
        if record["status"] in ("succeeded", "failed"):
            return record
        time.sleep(0.3)
    pytest.fail(f"the job never ended: {record}")


def test_the_seeded_demo_account_logs_in_and_bad_input_is_a_problem(gateway: httpx.Client) -> None:
    login = gateway.post(
        "/api/auth/token", data={"username": "demo@example.com", "password": "demo-password"}
    )
    assert login.status_code == 200, login.text
    assert_problem(gateway.post("/api/items", json={"title": "no token"}), 401)
    assert_problem(gateway.get("/nowhere"), 404)


def test_the_gateway_serves_the_api_document_and_its_ui(gateway: httpx.Client) -> None:
    document = gateway.get("/openapi.json")
    page = gateway.get("/docs")
    ui = gateway.get("/docs/swagger-ui-bundle.js")

    assert document.status_code == 200
    assert document.text == (repo_root() / "gateway" / "openapi.json").read_text()
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert ui.status_code == 200
    assert ui.headers["content-type"].startswith("application/javascript")


def test_locust_serves_its_web_ui_pointed_at_the_gateway(deployment: dict[str, str]) -> None:
    page = httpx.get(f"http://{deployment['locust']}:8089/", timeout=30)

    assert page.status_code == 200
    assert "UsersRead" in page.text


def test_the_cluster_smoke_job_passes_through_the_gateway(
    played: Played, images: dict[str, str]
) -> None:
    """k8s/smoke-job.yaml's pod as `make cluster-smoke` makes it: restricted, read-only
    root, the loadtest image; the generated client's walk, then a short run of every
    scenario, each in both modes."""
    gateway = f"http://{played.addresses['gateway']}:8080"
    job = smoke_job("unused", images["loadtest"], gateway, seconds=2)
    (workload,) = plan([job]).workloads

    played.kube.play(workload, [], aliases=[])
    code, log = played.kube.wait_until_ended(workload, JOB_TIMEOUT)

    assert code == 0, log[-4000:]
    # podman's pod log prefixes each line with the container's id.
    verdicts = re.findall(r"(\w+) +(async|sync) +\d+ requests +(ok|FAILED)", log)
    assert len(verdicts) == 12, log[-4000:]  # (the client and 5 scenarios) x 2 modes
    assert {(name, mode) for name, mode, _ in verdicts} >= {("client", "async"), ("client", "sync")}
    assert {verdict for *_, verdict in verdicts} == {"ok"}
