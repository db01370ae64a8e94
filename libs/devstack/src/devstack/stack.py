"""`make run`: the whole system as local processes, started in order, stopped in reverse.

Databases and Redis come from the configured URLs, or from throwaway servers when
nothing answers there; then each service's database is created, migrated and seeded, the
services start, and nginx goes in front. Everything started here stops on Ctrl-C.
"""

import contextlib
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

import psycopg
import pymysql
import redis
from sqlalchemy.engine import make_url

from devstack import prometheus
from devstack.binaries import MissingBinary
from devstack.databases import create_database, has_rows, with_database
from devstack.gateway import (
    TRUSTED_PROXIES_VARIABLE,
    Gateway,
    GatewayError,
    TemplateError,
    parse_trusted_proxies,
)
from devstack.gateway_edge import EdgeSettingError, EdgeSettings
from devstack.keys import ensure_dev_keypair
from devstack.layout import repo_root
from devstack.lock import AlreadyRunning, RunLock
from devstack.ports import accepts_connections
from devstack.probes import ensure_reachable
from devstack.servers import LocalServer, ServerError, kept_server
from devstack.services import HOST, SERVICES, Service
from devstack.supervisor import ChildFailed, ChildSpec, StopRequested, Supervisor, stop_signals

# kind: (variable, default URL, port of the throwaway server used when nothing answers).
SERVER_URLS: dict[str, tuple[str, str, int]] = {
    "postgres": ("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres", 55432),
    "mysql": ("MYSQL_URL", "mysql://root@127.0.0.1:3306/", 53306),
    "redis": ("REDIS_URL", "redis://127.0.0.1:6379/0", 56379),
}
DEFAULT_GATEWAY_PORT = 8080

_EXPECTED_FAILURES = (
    ChildFailed,
    EdgeSettingError,
    GatewayError,
    MissingBinary,
    ServerError,
    TemplateError,
    psycopg.Error,
    pymysql.Error,
    redis.RedisError,
)

LOCAL_LOGIN_ATTEMPTS_PER_ADDRESS = "600/minute"
# Every local service has its fault switch (servicekit.faults.switch) on, behind this token:
# `make bench` and demonstrations switch latency and errors at run time. Local only;
# the chart keeps the switch off unless told otherwise, with a token of its own.
DEV_FAULT_ADMIN_TOKEN = "dev-fault-admin-token"  # noqa: S105  (local processes only)


class StackError(RuntimeError):
    pass


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True) if "://" in url else url


class Stack:
    def __init__(
        self,
        root: Path,
        environ: Mapping[str, str],
        supervisor: Supervisor,
        exits: contextlib.ExitStack,
        services: tuple[Service, ...] = SERVICES,
        data: Path | None = None,
    ):
        self.root = root
        # Keys, the gateway's files and throwaway servers; tests give a folder of their own.
        self.data = data or root / ".data"
        self.environ = dict(environ)
        self.supervisor = supervisor
        self.exits = exits
        self.services = services
        self.say = supervisor.say
        # name -> database URL of each service started so far.
        self.database_urls: dict[str, str] = {}

    # --- ports ---------------------------------------------------------------------------

    def _port(self, variable: str, default: int) -> int:
        value = self.environ.get(variable, str(default))
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise StackError(f"{variable} must be a port number, got {value!r}")
        return int(value)

    def _seconds(self, variable: str, default: float) -> float:
        value = self.environ.get(variable, str(default))
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 3600:
            raise StackError(f"{variable} must be a number of seconds, got {value!r}")
        return seconds

    def gateway_port(self) -> int:
        return self._port("GATEWAY_PORT", DEFAULT_GATEWAY_PORT)

    def prometheus_port(self) -> int:
        return self._port("PROMETHEUS_PORT", prometheus.DEFAULT_PORT)

    def check_ports(self) -> None:
        """Fails before anything starts, rather than after the databases are up."""
        wanted = [(s.name, s.port) for s in self.services if s.port is not None]
        wanted += [(f"{s.name} metrics", s.metrics_port) for s in self.services if s.metrics_port]
        wanted.append(("the gateway (set GATEWAY_PORT to move it)", self.gateway_port()))
        wanted.append(("Prometheus (set PROMETHEUS_PORT to move it)", self.prometheus_port()))
        for owner, port in wanted:
            if accepts_connections(HOST, port, timeout=0.2):
                raise StackError(f"{HOST}:{port}, needed for {owner}, is already in use")

    # --- servers -------------------------------------------------------------------------

    def needed_kinds(self) -> list[str]:
        # Only what some service uses: no MariaDB while every database is on Postgres.
        kinds = {
            s.backend
            for s in self.services
            if s.backend is not None and s.database_url_variable not in self.environ
        }
        return [kind for kind in SERVER_URLS if kind in kinds or kind == "redis"]

    def server_url(self, kind: str) -> str:
        variable, default, alternate_port = SERVER_URLS[kind]
        url = self.environ.get(variable, default)
        if ensure_reachable(url):
            self.say(f"{kind}: using {_shown(url)}")
            return url
        server = kept_server(kind, self.data / kind, alternate_port)
        self.say(
            f"{kind}: nothing answers at {_shown(url)} ({variable}); "
            f"starting one on port {alternate_port} with data in {server.datadir}"
        )
        server.start()
        self.exits.callback(self._stop_server, server)
        return server.url

    def _stop_server(self, server: LocalServer) -> None:
        self.say(f"stopping {server.kind} on port {server.port}")
        server.stop()

    # --- one service ---------------------------------------------------------------------

    def database_url(self, service: Service, servers: Mapping[str, str]) -> str:
        override = self.environ.get(service.database_url_variable)
        if override is None:
            if service.backend is None or service.database is None:
                raise StackError(f"{service.name} has no database to make")
            return with_database(servers[service.backend], service.database)
        if not ensure_reachable(override):
            raise StackError(
                f"{service.database_url_variable}={_shown(override)}: nothing answers there"
            )
        return override

    def prepare_database(self, service: Service, url: str) -> None:
        name = make_url(url).database
        if not name:
            raise StackError(f"{_shown(url)} names no database for {service.name}")
        create_database(url, name)
        self.say(f"{service.name}: database {_shown(url)}")

    def migrate(self, service: Service, env: Mapping[str, str]) -> None:
        if service.alembic_ini is None:
            return
        ini = self.root / service.alembic_ini
        if not ini.exists():
            raise StackError(
                f"{service.alembic_ini} does not exist: {service.name} has no migrations"
            )
        argv = [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head"]
        self.supervisor.run_once(ChildSpec(f"{service.name} migrate", argv, env, cwd=self.root))

    def seed(self, service: Service, env: Mapping[str, str], url: str) -> None:
        if service.seed_table is None:
            return
        module = f"{service.package}.seed"
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            self.say(f"{service.name}: no {module} module, so no demo data")
            return
        if has_rows(url, service.seed_table):
            self.say(f"{service.name}: {service.seed_table} has data already, not seeding")
            return
        argv = [sys.executable, "-m", module, *service.seed_args]
        self.supervisor.run_once(ChildSpec(f"{service.name} seed", argv, env, cwd=self.root))

    def service_env(self, service: Service, database_url: str, redis_url: str) -> dict[str, str]:
        private_pem, public_pem = ensure_dev_keypair(self.data / "keys")
        env = {
            **self.environ,
            "SERVICE_NAME": service.name,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "JWT_PUBLIC_KEY": public_pem,
            "PYTHONUNBUFFERED": "1",  # log lines reach the terminal as they happen
            # JSON lines to the supervisor, which shows them as LOG_FORMAT says.
            "LOG_FORMAT": "json",
            # Where the others are: USERS_URL, ITEMS_URL, TASKS_URL.
            **{
                f"{other.name.upper()}_URL": other.base_url
                for other in self.services
                if other.base_url is not None
            },
            # The worker's jobs reach other services' databases: ITEMS_DATABASE_URL, ...
            **{f"{name.upper()}_DATABASE_URL": url for name, url in self.database_urls.items()},
            # The worker's files live with the rest of the run's data.
            "HEARTBEAT_FILE": str(self.data / "worker-heartbeat"),
            "BEAT_SCHEDULE_FILE": str(self.data / "celerybeat-schedule"),
        }
        if service.signs_tokens:
            env["JWT_PRIVATE_KEY"] = private_pem
            # Every client of a local run (browser, curl, Locust logging in its 100
            # accounts per run) is 127.0.0.1: one address, so ten times the production
            # limit; the others stay as in production.
            env.setdefault("LOGIN_ATTEMPTS_PER_ADDRESS", LOCAL_LOGIN_ATTEMPTS_PER_ADDRESS)
        if service.port is not None:
            env.setdefault("FAULTS_ENABLED", "true")
            env.setdefault("FAULT_ADMIN_TOKEN", DEV_FAULT_ADMIN_TOKEN)
        if service.metrics_port is not None:
            env |= {"METRICS_HOST": HOST, "METRICS_PORT": str(service.metrics_port)}
        return env

    def prepare(self, service: Service, servers: Mapping[str, str]) -> dict[str, str]:
        """Creates, migrates and seeds the service's database; returns its environment."""
        database_url = ""
        if service.backend is not None:
            database_url = self.database_url(service, servers)
            self.prepare_database(service, database_url)
            self.database_urls[service.name] = database_url
        env = self.service_env(service, database_url, servers["redis"])
        if database_url:
            self.migrate(service, env)
            self.seed(service, env, database_url)
        return env

    def start_service(self, service: Service, servers: Mapping[str, str]) -> None:
        env = self.prepare(service, servers)
        self.say(f"{service.name}: starting")
        self.supervisor.start(
            ChildSpec(
                service.name,
                service.command(),
                env,
                cwd=self.root,
                health_url=service.health_url,
                health_timeout=60,
                ready_line=service.ready_line,
            )
        )

    # --- the gateway and the whole -------------------------------------------------------

    def gateway_edge(self) -> EdgeSettings:
        """CORS, per-client limits and compression from GATEWAY_CORS_*, GATEWAY_READ_*,
        GATEWAY_WRITE_* and GATEWAY_GZIP_* (docs/api.md, "Gateway settings")."""
        return EdgeSettings.from_environ(self.environ)

    def start_gateway(self, edge: EdgeSettings | None = None) -> Gateway:
        # Every route of the template needs an upstream, even for a service not started.
        upstreams = {
            s.name: f"{HOST}:{s.port}" for s in (*SERVICES, *self.services) if s.port is not None
        }
        gateway = Gateway(
            self.data / "gateway",
            f"{HOST}:{self.gateway_port()}",
            upstreams,
            trusted_proxies=parse_trusted_proxies(self.environ.get(TRUSTED_PROXIES_VARIABLE, "")),
            edge=edge or self.gateway_edge(),
            # A clone under /root: its /docs files move where nginx's workers reach them.
            relocate_private=True,
        )
        command = gateway.prepare()
        self.exits.callback(gateway.discard_moved_api_docs)
        health = f"{gateway.url}/healthz"
        self.supervisor.start(
            ChildSpec(
                "gateway", command, cwd=gateway.prefix_dir, health_url=health, health_timeout=10
            )
        )
        return gateway

    def start_prometheus(self) -> str | None:
        """Prometheus scraping every service, the worker and Locust; its URL, or None when
        it is not installed (the system runs without it)."""
        targets = [
            prometheus.ScrapeTarget(s.name, s.metrics_address)
            for s in self.services
            if s.metrics_address is not None
        ]
        locust = self._port("LOCUST_METRICS_PORT", prometheus.DEFAULT_LOCUST_METRICS_PORT)
        targets.append(prometheus.ScrapeTarget("locust", f"{HOST}:{locust}"))
        server = prometheus.Prometheus(
            self.data / "prometheus",
            f"{HOST}:{self.prometheus_port()}",
            targets,
            scrape_interval_seconds=self._seconds("PROMETHEUS_SCRAPE_INTERVAL", 5.0),
        )
        try:
            command = server.prepare()
        except MissingBinary as error:
            self.say(f"{error}; running without Prometheus")
            return None
        self.supervisor.start(
            ChildSpec("prometheus", command, health_url=server.ready_url, health_timeout=30)
        )
        return server.url

    def print_urls(self, gateway: Gateway, prometheus_url: str | None = None) -> None:
        rows = [
            ("gateway", gateway.url),
            # The whole public API, merged from the services' own documents.
            ("API docs", f"{gateway.url}/docs"),
            ("API document", f"{gateway.url}/openapi.json"),
        ]
        for service in self.services:
            if service.port is None:
                continue
            rows += [
                (f"{service.name} (async)", f"{gateway.url}/api/{service.name}"),
                (f"{service.name} (sync)", f"{gateway.url}/sync/api/{service.name}"),
                (f"{service.name} docs", f"{service.base_url}/docs"),
            ]
        if prometheus_url:
            rows.append(("prometheus", prometheus_url))
            rows += [
                (f"{s.name} metrics", f"http://{s.metrics_address}/metrics")
                for s in self.services
                if s.metrics_address is not None
            ]
        width = max(len(label) for label, _ in rows)
        lines = ["ready:", *(f"  {label:<{width}}  {url}" for label, url in rows)]
        lines += self._fault_hint()
        self.supervisor.announce("\n".join([*lines, "stop everything with Ctrl-C"]))

    def _fault_hint(self) -> list[str]:
        """How to switch a fault on the first service, when the switch is on."""
        first = next((s for s in self.services if s.base_url is not None), None)
        if first is None or self.environ.get("FAULTS_ENABLED", "true").lower() != "true":
            return []
        token = self.environ.get("FAULT_ADMIN_TOKEN", DEV_FAULT_ADMIN_TOKEN)
        return [
            'fault switch (docs/load-tests.md, "The web UI and the fault switch"), '
            f"e.g. 100 ms more on every {first.name} response:",
            f"  curl -X PUT -H 'Authorization: Bearer {token}' -d '{{\"latency_ms\":100}}' "
            f"{first.base_url}/admin/fault",
        ]

    def start(self) -> tuple[Gateway, str | None]:
        """Servers, every service in order, the gateway and Prometheus (its URL, or None
        when it is not installed); all stop with `exits`."""
        edge = self.gateway_edge()  # a bad gateway setting stops before anything starts
        self.check_ports()
        servers = {kind: self.server_url(kind) for kind in self.needed_kinds()}
        # Entered after the servers, so its children stop before the databases they use.
        self.exits.enter_context(self.supervisor)
        for service in self.services:
            self.start_service(service, servers)
        gateway = self.start_gateway(edge)
        return gateway, self.start_prometheus()

    def run(self, until: Callable[[], bool] = lambda: False) -> None:
        """Starts everything, then keeps it running until a stop signal (or `until()`).
        The URLs come once every process is ready, and stay the last lines on screen
        until something happens: nothing routine logs after them (the worker's periodic
        jobs log only what they did)."""
        self.print_urls(*self.start())
        self.supervisor.watch(until=until)


def run(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    """What `make run` runs; returns the exit code."""
    root = repo_root()
    environ = os.environ if environ is None else environ
    try:
        supervisor = Supervisor(out, log_format=environ.get("LOG_FORMAT", "auto"))
    except ValueError as error:  # LOG_FORMAT is none of its values
        print(error, file=sys.stderr)
        return 1
    try:
        with (
            RunLock(root / ".data" / "run.lock"),
            stop_signals() as shield,
            contextlib.ExitStack() as exits,
        ):
            try:
                Stack(root, environ, supervisor, exits).run()
                code = 0
            except StopRequested:
                supervisor.say("stopping everything")
                code = 0
            except (StackError, *_EXPECTED_FAILURES) as error:
                supervisor.say(f"make run failed: {error}", level="error")
                code = 1
            finally:
                shield()  # from here on we are stopping; see stop_signals
    except AlreadyRunning as error:
        print(error, file=sys.stderr)
        return 1
    supervisor.say("stopped")
    return code
