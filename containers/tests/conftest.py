"""The six images built from their Dockerfiles and run as a cluster would run them
(non-root, read-only root, a tmpfs at /tmp), against the machine's own Postgres, MariaDB
and a Redis of the run's own, on the host's network.

Skipped, saying why, only where neither podman nor a docker engine exists. Everything
made here is removed by id or by the run's own tag; the images are untagged with
`--no-prune`, so their layers stay as build cache for the next run.
"""

import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from clusterkit.containers import Container, image_command, run_once, start, with_option
from clusterkit.images import IMAGES, NoContainerTool, build, container_tool
from devstack import databases
from devstack.health import wait_until_ok
from devstack.ports import free_port
from devstack.servers import RedisServer

READY_TIMEOUT = 60
# The default split: the server each service's database is on.
DATABASES = {"users": "postgres", "items": "postgres", "tasks": "mysql"}
HTTP_SERVICES = tuple(DATABASES)


@pytest.fixture(scope="session")
def tool() -> str:
    try:
        return container_tool()
    except NoContainerTool as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def images(tool: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """part -> image name, each built from its Dockerfile under a tag of this run."""
    tag = f"test-{os.getpid()}-{secrets.token_hex(3)}"
    logs = tmp_path_factory.mktemp("image-builds")
    built: dict[str, str] = {}
    try:
        for image in IMAGES:
            log = logs / f"{image.part}.log"
            try:
                built[image.part] = build(image, tag, tool, log=log)
            except subprocess.CalledProcessError:
                pytest.fail(f"building {image.dockerfile} failed:\n{log.read_text()[-4000:]}")
        yield built
    finally:
        for name in built.values():
            subprocess.run([tool, "rmi", "--no-prune", name], capture_output=True, check=False)


@dataclass
class System:
    """The containers of one deployment, with what a test needs to reach them."""

    tool: str
    images: dict[str, str]
    env: dict[str, dict[str, str]]
    urls: dict[str, str]
    containers: dict[str, Container] = field(default_factory=dict)

    def login(self, email: str, password: str) -> str:
        response = httpx.post(
            f"{self.urls['users']}/api/auth/token", data={"username": email, "password": password}
        )
        response.raise_for_status()
        result: str = response.json()["access_token"]
        return result


@pytest.fixture(scope="module")
def system(
    tool: str,
    images: dict[str, str],
    server_urls: dict[str, str],
    jwt_private_key: str,
    jwt_public_key: str,
) -> Iterator[System]:
    """users and items on Postgres, tasks on MariaDB (the default split), the worker,
    and the gateway in front: migrated, seeded and ready. Redis is a server of this
    module's own, so the Celery queue and the worker-id leases meet no other test's."""
    with tempfile.TemporaryDirectory(prefix="images-redis-") as redis_dir:
        redis = RedisServer(Path(redis_dir), free_port())
        with redis:
            made: dict[str, tuple[str, str]] = {}
            try:
                for service, backend in DATABASES.items():
                    name = f"{service}_images_{os.getpid()}_{secrets.token_hex(3)}"
                    databases.create_database(server_urls[backend], name)
                    made[service] = (server_urls[backend], name)
                urls = {service: databases.with_database(*made[service]) for service in made}
                keys = {"JWT_PRIVATE_KEY": jwt_private_key, "JWT_PUBLIC_KEY": jwt_public_key}
                yield from _deploy(tool, images, redis.url, urls, keys)
            finally:
                for server, name in made.values():
                    databases.drop_database(server, name)


def _environments(
    ports: dict[str, int], redis_url: str, database: dict[str, str], keys: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Each part's environment, as the chart gives it."""
    url = {part: f"http://127.0.0.1:{port}" for part, port in ports.items()}
    common = {"REDIS_URL": redis_url, "JWT_PUBLIC_KEY": keys["JWT_PUBLIC_KEY"]}
    return {
        "users": common | {"DATABASE_URL": database["users"]} | keys,
        "items": common | {"DATABASE_URL": database["items"], "USERS_URL": url["users"]},
        "tasks": common | {"DATABASE_URL": database["tasks"]},
        "worker": {
            "REDIS_URL": redis_url,
            "ITEMS_DATABASE_URL": database["items"],
            "TASKS_DATABASE_URL": database["tasks"],
            **{f"{service.upper()}_URL": url[service] for service in HTTP_SERVICES},
            "METRICS_PORT": str(ports["worker"]),
            "METRICS_HOST": "127.0.0.1",
        },
        "gateway": {
            "GATEWAY_LISTEN": f"127.0.0.1:{ports['gateway']}",
            **{f"{s.upper()}_UPSTREAM": f"127.0.0.1:{ports[s]}" for s in HTTP_SERVICES},
        },
    }


def _deploy(
    tool: str,
    images: dict[str, str],
    redis_url: str,
    database: dict[str, str],
    keys: dict[str, str],
) -> Iterator[System]:
    ports = {part: free_port() for part in (*HTTP_SERVICES, "gateway", "worker")}
    env = _environments(ports, redis_url, database, keys)
    system = System(tool, images, env, {p: f"http://127.0.0.1:{port}" for p, port in ports.items()})
    try:
        for service in HTTP_SERVICES:
            migrated = run_once(tool, images[service], ["alembic", "upgrade", "head"], env[service])
            assert migrated.returncode == 0, migrated.stderr
        seed = ["python", "-m", "users_service.seed", "--count", "120"]
        seeded = run_once(tool, images["users"], seed, env["users"])
        assert seeded.returncode == 0, seeded.stderr
        for service in HTTP_SERVICES:
            # The image's own command, on a port of its own and on loopback only.
            command = with_option(image_command(tool, images[service]), "--host", "127.0.0.1")
            command = with_option(command, "--port", str(ports[service]))
            system.containers[service] = start(tool, images[service], command, env[service])
            _wait_ready(system.containers[service], f"{system.urls[service]}/readyz")
        system.containers["worker"] = start(tool, images["worker"], env=env["worker"])
        system.containers["gateway"] = start(tool, images["gateway"], env=env["gateway"])
        _wait_ready(system.containers["gateway"], f"{system.urls['gateway']}/healthz")
        yield system
    finally:
        for container in system.containers.values():
            container.remove()


def _wait_ready(container: Container, url: str) -> None:
    if not wait_until_ok(url, READY_TIMEOUT, alive=container.running):
        pytest.fail(f"{url} never answered 200; the container's log:\n{container.logs()[-4000:]}")
