"""The chart's own workloads played on podman against the machine's servers: what the
chart smoke and reinstall tests share (clusterkit.kube_play plays; this wires it to
servers and waits for it).

The servers listen on loopback; pods reach them through relays on the run's network's
gateway address, and the chart is given those addresses as external servers.
"""

import time
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clusterkit.helm import chart_dir, template
from clusterkit.kube_play import KubePlay, Plan, aliases_for
from clusterkit.relay import TcpRelay
from devstack import databases


class ServerRelays:
    """server name -> the URL pods reach it at, for as long as the block runs."""

    def __init__(self, gateway_ip: str, targets: Mapping[str, str]):
        self.gateway_ip = gateway_ip
        self.targets = dict(targets)
        self._stack = ExitStack()
        self._relays: list[TcpRelay] = []

    def __enter__(self) -> dict[str, str]:
        urls = {}
        for name, url in self.targets.items():
            parsed = make_url(url)
            relay = TcpRelay(self.gateway_ip, (parsed.host or "127.0.0.1", parsed.port or 0))
            relay.start()
            self._stack.callback(relay.stop)
            self._relays.append(relay)
            urls[name] = parsed.set(host=self.gateway_ip, port=relay.port).render_as_string(
                hide_password=False
            )
        return urls

    def log_tails(self) -> str:
        """What each relay logged: the connections it could not make, or made slowly."""
        return "\n".join(
            f"relay to {relay.target}: {relay.log_tail() or 'nothing'}" for relay in self._relays
        )

    def __exit__(self, _kind: object, error: BaseException | None, _tb: object) -> None:
        if error is not None:
            error.add_note(self.log_tails())
        self._stack.close()


def render_smoke(
    images: Mapping[str, str],
    relayed: Mapping[str, str],
    run: str,
    values: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The chart as the play tests render it (charts/pyservices/ci/smoke-values.yaml): the
    run's images, databases of its own and the relayed servers as external ones."""
    return template(
        [chart_dir() / "ci" / "smoke-values.yaml"],
        {
            "image.tag": images["users"].rsplit(":", 1)[1],
            "databaseNamePrefix": f"{run}_",
            "postgres.external.url": relayed["postgres"],
            "mysql.external.url": relayed["mysql"],
            "redis.external.url": relayed["redis"],
            **(values or {}),
        },
        release=run,
        namespace=run,
    )


class PlayFailed(AssertionError):
    """A Job ended non-zero or a workload never got ready; the message holds its log."""


def install(
    kube: KubePlay, played: Plan, order: list[str], *, job_timeout: float, ready_timeout: float
) -> dict[str, str]:
    """Runs the Jobs to their end, then starts the workloads in `order` (components),
    each ready before the next; returns component -> address on the run's network."""
    kube.make_secrets(played.secrets, played.kept)
    for job in (w for w in played.workloads if w.run_to_end):
        kube.play(job, played.config_maps, aliases=[])
        code, log = kube.wait_until_ended(job, job_timeout)
        if code != 0:
            raise PlayFailed(f"{job.name} ended {code}:\n{log[-4000:]}")
    by_component = {
        w.labels["app.kubernetes.io/component"]: w for w in played.workloads if not w.run_to_end
    }
    if sorted(by_component) != sorted(order):
        raise PlayFailed(f"the render has {sorted(by_component)}, not {sorted(order)}")
    addresses = {}
    for component in order:
        workload = by_component[component]
        address = kube.play(workload, played.config_maps, aliases_for(workload, played.services))
        if not kube.wait_until_ready(workload, address, ready_timeout):
            raise PlayFailed(f"{component} never got ready:\n{kube.logs(workload.name)[-4000:]}")
        addresses[component] = address
    return addresses


def drop_release_databases(server_urls: Mapping[str, str], prefix: str) -> None:
    """Drops the databases and roles a release with this databaseNamePrefix made."""
    for server in ("postgres", "mysql"):
        admin = server_urls[server]
        driver = {"postgres": "postgresql+psycopg", "mysql": "mysql+pymysql"}[server]
        engine = create_engine(make_url(admin).set(drivername=driver), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for service in ("users", "items", "tasks"):
                name = f"{prefix}{service}"
                databases.drop_database(admin, name)
                if server == "postgres":
                    connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
                else:
                    connection.execute(text(f"DROP USER IF EXISTS '{name}'@'%'"))
        engine.dispose()


class RetryingUnavailable(httpx.BaseTransport):
    """What the API asks of its clients, done for the play's own calls: a 503 that
    carries `Retry-After` is sent again after that many seconds, for up to `patience`
    seconds in all; anything else, and the last 503, is answered as it came.

    Why the play needs it: in CI, a freshly started pod has answered its first requests
    with 503 "Database unavailable" (new connections to the relayed Postgres timing out)
    while its relay logged none slow or failed; the cause is not yet known, and a client
    that honours Retry-After rides it out, as the API documents.
    """

    def __init__(self, patience: float = 20.0):
        self._inner = httpx.HTTPTransport()
        self._patience = patience

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self._patience
        while True:
            response = self._inner.handle_request(request)
            wait = response.headers.get("retry-after", "")
            if response.status_code != 503 or not wait.isdigit():
                return response
            if time.monotonic() + int(wait) > deadline:
                return response
            response.read()
            response.close()
            time.sleep(int(wait))

    def close(self) -> None:
        self._inner.close()
