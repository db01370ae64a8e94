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

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clusterkit.cluster_smoke import smoke_job
from clusterkit.helm import chart_dir, template
from clusterkit.kube_play import KubePlay, aliases_for, plan
from clusterkit.relay import TcpRelay
from devstack import databases
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.servers import RedisServer
from servicekit.db.engines import is_postgres, sync_url
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
def played(tool, images, server_urls) -> Iterator[Played]:
    """The chart played on a podman network of the run's own."""
    run = f"smoke{os.getpid()}{secrets.token_hex(2)}"
    kube = KubePlay(tool, run)
    prefix = f"{run}_"
    try:
        gateway_ip = kube.create_network()
        with tempfile.TemporaryDirectory(prefix="smoke-redis-") as folder:
            redis = RedisServer(Path(folder), free_port())
            with redis, _relays(gateway_ip, server_urls, redis.url) as relayed:
                yield Played(kube, _play(kube, images, relayed, release=run, prefix=prefix))
    finally:
        kube.down()
        _drop_databases(server_urls, prefix)


@pytest.fixture(scope="module")
def deployment(played) -> dict[str, str]:
    return played.addresses


class _relays:
    """The servers on loopback, reachable from the pods at the network's gateway."""

    def __init__(self, gateway_ip: str, server_urls: dict[str, str], redis_url: str):
        self.gateway_ip = gateway_ip
        self.targets = {
            "postgres": server_urls["postgres"],
            "mysql": server_urls["mysql"],
            "redis": redis_url,
        }
        self.relays: dict[str, TcpRelay] = {}

    def __enter__(self) -> dict[str, str]:
        urls = {}
        for name, url in self.targets.items():
            parsed = make_url(url)
            relay = TcpRelay(self.gateway_ip, (parsed.host, parsed.port))
            relay.start()
            self.relays[name] = relay
            urls[name] = parsed.set(host=self.gateway_ip, port=relay.port).render_as_string(
                hide_password=False
            )
        return urls

    def __exit__(self, *_exc) -> None:
        for relay in self.relays.values():
            relay.stop()


def _play(kube: KubePlay, images, relayed, *, release: str, prefix: str) -> dict[str, str]:
    tag = images["users"].rsplit(":", 1)[1]
    documents = template(
        [chart_dir() / "ci" / "smoke-values.yaml"],
        {
            "image.tag": tag,
            "databaseNamePrefix": prefix,
            "postgres.external.url": relayed["postgres"],
            "mysql.external.url": relayed["mysql"],
            "redis.external.url": relayed["redis"],
        },
        release=release,
        namespace=release,
    )
    played = plan(documents)
    kube.make_secrets(played.secrets)
    for job in (w for w in played.workloads if w.run_to_end):
        kube.play(job, played.config_maps, aliases=[])
        code, log = kube.wait_until_ended(job, JOB_TIMEOUT)
        assert code == 0, f"{job.name} ended {code}:\n{log[-4000:]}"
    addresses = {}
    by_component = {
        w.labels["app.kubernetes.io/component"]: w for w in played.workloads if not w.run_to_end
    }
    assert sorted(by_component) == sorted(ORDER)
    for component in ORDER:
        workload = by_component[component]
        address = kube.play(workload, played.config_maps, aliases_for(workload, played.services))
        if not kube.wait_until_ready(workload, address, READY_TIMEOUT):
            pytest.fail(f"{component} never got ready:\n{kube.logs(workload.name)[-4000:]}")
        addresses[component] = address
    return addresses


def _drop_databases(server_urls: dict[str, str], prefix: str) -> None:
    for server in ("postgres", "mysql"):
        admin = server_urls[server]
        engine = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for service in ("users", "items", "tasks"):
                name = f"{prefix}{service}"
                databases.drop_database(admin, name)
                if is_postgres(admin):
                    connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
                else:
                    connection.execute(text(f"DROP USER IF EXISTS '{name}'@'%'"))
        engine.dispose()


@pytest.fixture(scope="module")
def gateway(deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://{deployment['gateway']}:8080", timeout=30) as client:
        yield client


@pytest.mark.parametrize("mode", list(MODES))
def test_a_client_registers_logs_in_and_uses_every_service(gateway, mode):
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


def wait_until_ended(gateway: httpx.Client, location: str, headers: dict) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        record = gateway.get(location, headers=headers).json()
        if record["status"] in ("succeeded", "failed"):
            return record
        time.sleep(0.3)
    pytest.fail(f"the job never ended: {record}")


def test_the_seeded_demo_account_logs_in_and_bad_input_is_a_problem(gateway):
    login = gateway.post(
        "/api/auth/token", data={"username": "demo@example.com", "password": "demo-password"}
    )
    assert login.status_code == 200, login.text
    assert_problem(gateway.post("/api/items", json={"title": "no token"}), 401)
    assert_problem(gateway.get("/nowhere"), 404)


def test_the_gateway_serves_the_api_document_and_its_ui(gateway):
    document = gateway.get("/openapi.json")
    page = gateway.get("/docs")
    ui = gateway.get("/docs/swagger-ui-bundle.js")

    assert document.status_code == 200
    assert document.text == (repo_root() / "gateway" / "openapi.json").read_text()
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert ui.status_code == 200
    assert ui.headers["content-type"].startswith("application/javascript")


def test_locust_serves_its_web_ui_pointed_at_the_gateway(deployment):
    page = httpx.get(f"http://{deployment['locust']}:8089/", timeout=30)

    assert page.status_code == 200
    assert "UsersRead" in page.text


def test_the_cluster_smoke_job_passes_through_the_gateway(played, images):
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
