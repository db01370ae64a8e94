"""The second install, played: install the chart, write data and hold a session,
uninstall as Helm does (everything goes but the Secrets marked keep; the databases
stay, as the StatefulSets' volumes would), install again: the services come up on the
same data, the session still holds, the same password logs in.

Played by podman against the machine's Postgres and MariaDB (clusterkit.chart_play), so
the datastores are external servers here: the in-chart StatefulSets, whose data
directory only opens with the password it was made with, are not played. That part
(the admin passwords kept in the same Secret, the volumes kept or deleted by
persistence.deleteOnUninstall) is shown by rendering (charts/tests/test_lifecycle.py).
Helm's `lookup`, which renders a kept Secret's data again on a cluster, cannot run
without one: the play adopts the kept Secrets as they are (clusterkit.kube_play).
"""

import os
import secrets
import subprocess
import tempfile
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
from clusterkit.kube_play import KubePlay, plan
from devstack.ports import free_port
from devstack.servers import RedisServer

# Enough to write and read data through the gateway; the worker, beat and Locust are
# the smoke run's.
ORDER = ["users", "items", "tasks", "gateway"]
LEFT_OUT = {f"components.{part}.enabled": "false" for part in ("worker", "beat", "locust")}

pytestmark = pytest.mark.timeout(900)


def podman_secrets(tool: str) -> set[str]:
    listed = subprocess.run(
        [tool, "secret", "ls", "--format", "{{.Name}}"], capture_output=True, text=True, check=True
    )
    return set(listed.stdout.split())


def test_data_and_sessions_outlive_uninstall_and_the_next_install(
    tool: str, images: dict[str, str], server_urls: dict[str, str]
) -> None:
    run = f"reinstall{os.getpid()}{secrets.token_hex(2)}"
    kube = KubePlay(tool, run)
    try:
        gateway_ip = kube.create_network()
        with tempfile.TemporaryDirectory(prefix="reinstall-redis-") as folder:
            redis = RedisServer(Path(folder), free_port())
            targets = {"postgres": server_urls["postgres"], "mysql": server_urls["mysql"]}
            with redis, ServerRelays(gateway_ip, targets | {"redis": redis.url}) as relayed:
                first = plan(render_smoke(images, relayed, run, LEFT_OUT))
                assert first.kept == {f"{run}-pyservices-datastores", f"{run}-pyservices-tokens"}
                addresses = install(kube, first, ORDER, job_timeout=180, ready_timeout=120)
                gateway = f"http://{addresses['gateway']}:8080"
                email = f"kept-{secrets.token_hex(3)}@example.com"
                token, item = write_data(gateway, email)

                kube.uninstall(first.kept)
                assert podman_secrets(tool) >= first.kept
                assert not {s for s in podman_secrets(tool) if s.startswith(run)} - first.kept

                rendered_again = render_smoke(images, relayed, run, LEFT_OUT)
                made_again = next(
                    d for d in rendered_again if d["metadata"]["name"] == f"{run}-pyservices-tokens"
                )
                # Rendered without a cluster, the keys would be new: what is kept matters.
                assert made_again["data"] != first.secrets[f"{run}-pyservices-tokens"]
                kept = {name: first.secrets[name] for name in first.kept}
                second = plan(rendered_again, adopted=kept)
                addresses = install(kube, second, ORDER, job_timeout=180, ready_timeout=120)
                gateway = f"http://{addresses['gateway']}:8080"

                read_data_back(gateway, email, token, item)
    finally:
        kube.down()
        drop_release_databases(server_urls, f"{run}_")


def write_data(gateway: str, email: str) -> tuple[str, dict[str, Any]]:
    with httpx.Client(base_url=gateway, timeout=30, transport=RetryingUnavailable()) as client:
        registered = client.post(
            "/api/users", json={"name": "Kept", "email": email, "password": "kept-password"}
        )
        assert registered.status_code == 201, registered.text
        login = client.post(
            "/api/auth/token", data={"username": email, "password": "kept-password"}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        item = client.post(
            "/api/items", json={"title": "Kept lamp"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert item.status_code == 201, item.text
        return token, item.json()


def read_data_back(gateway: str, email: str, token: str, item: dict[str, Any]) -> None:
    with httpx.Client(base_url=gateway, timeout=30, transport=RetryingUnavailable()) as client:
        # The session from before the uninstall: the token keys were kept.
        me = client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["email"] == email
        # The data from before, through both modes.
        for api in ("/api", "/sync/api"):
            found = client.get(f"{api}/items/{item['id']}")
            assert found.status_code == 200, found.text
            assert found.json()["title"] == "Kept lamp"
        login = client.post(
            "/api/auth/token", data={"username": email, "password": "kept-password"}
        )
        assert login.status_code == 200, login.text
