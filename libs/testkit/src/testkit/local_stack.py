"""`local_stack`: the whole system as `make run` starts it, once per test session, for
the suites that test through the gateway: with Prometheus scraping it every second, and
every span its processes export kept by an OTLP receiver; and for a single service's
end-to-end runs, `users_beside` (a real users process for tokens, on testkit's
`own_redis`)."""

import contextlib
import dataclasses
import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.databases import create_database, drop_database, with_database
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.servers import RedisServer
from devstack.services import SERVICES, relocated
from devstack.stack import Stack
from devstack.supervisor import Supervisor
from testkit.databases import migrate
from testkit.otlp_receiver import OtlpReceiver

# Every second: tests wait a couple of scrapes for what they look for.
SCRAPE_INTERVAL_SECONDS = 1.0

# The suite registers and logs in thousands of times from one address, with fixed
# emails and wrong passwords on purpose, into one Redis that outlives a run: under the
# production limits it would lock itself out. The users apps it builds and the processes
# it starts read these; the rate-limit tests set their own.
SUITE_RATE_LIMITS = {
    "LOGIN_ATTEMPTS_PER_ADDRESS": "1000000/minute",
    "LOGIN_FAILURES_PER_ACCOUNT": "1000000/minute",
    "REGISTRATIONS_PER_ADDRESS": "1000000/minute",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, value in SUITE_RATE_LIMITS.items():
        os.environ.setdefault(name, value)


@dataclasses.dataclass(frozen=True)
class LocalStack:
    gateway_url: str
    prometheus_url: str
    # Where Prometheus looks for a Locust exporter (`--metrics-port`).
    locust_metrics_port: int
    spans: OtlpReceiver
    # Every process's output, as `make run` prints it.
    logs: io.StringIO
    scrape_interval_seconds: float
    # name -> base URL of each HTTP service, beside the gateway (their own documents).
    service_urls: dict[str, str]


@pytest.fixture(scope="session")
def local_stack(server_urls: dict[str, str]) -> Iterator[LocalStack]:
    """Every service on a free port and a fresh database, a Redis of its own (view
    counts start at zero), worker, beat and gateway; what `make run` does, step by step."""
    free_ports = iter(free_port, None)
    services = relocated(SERVICES, free_ports, database_suffix=f"_e2e_{secrets.token_hex(3)}")
    with contextlib.ExitStack() as exits:
        data = Path(exits.enter_context(_reachable_tempdir()))
        redis = exits.enter_context(RedisServer(data / "redis", free_port()))
        spans = exits.enter_context(OtlpReceiver())
        locust_metrics_port = free_port()
        environ = {
            "PATH": "/usr/bin:/bin",
            "POSTGRES_URL": server_urls["postgres"],
            "MYSQL_URL": server_urls["mysql"],
            "REDIS_URL": redis.url,
            "GATEWAY_PORT": str(free_port()),
            "PROMETHEUS_PORT": str(free_port()),
            "PROMETHEUS_SCRAPE_INTERVAL": str(SCRAPE_INTERVAL_SECONDS),
            "LOCUST_METRICS_PORT": str(locust_metrics_port),
            "FLUSH_INTERVAL_SECONDS": "1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": spans.endpoint,
            # Spans leave every 100 ms rather than every 5 s: tests wait for them.
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            **SUITE_RATE_LIMITS,
        }
        logs = io.StringIO()
        stack = Stack(repo_root(), environ, Supervisor(logs), exits, services, data=data)
        for service in services:
            if service.backend is None or service.database is None:
                continue
            server = server_urls[service.backend]
            exits.callback(drop_database, server, service.database)
        gateway, prometheus_url = stack.start()
        if prometheus_url is None:
            pytest.fail("prometheus is not installed: apt-get install prometheus")
        service_urls = {s.name: s.base_url for s in services if s.base_url is not None}
        yield LocalStack(
            gateway.url,
            prometheus_url,
            locust_metrics_port,
            spans,
            logs,
            SCRAPE_INTERVAL_SECONDS,
            service_urls,
        )


@contextlib.contextmanager
def _reachable_tempdir() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="system-e2e-")
    Path(folder).chmod(0o755)  # Postgres and nginx workers run as other users
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def users_beside(
    server_urls: dict[str, str],
    spawn_uvicorn: Callable[..., str],
    jwt_private_key: str,
    own_redis: RedisServer,
) -> Iterator[str]:
    """A real users process on a migrated Postgres database of its own, sharing
    `own_redis`: the tokens (and owners) another service's end-to-end run needs."""
    server = server_urls["postgres"]
    name = f"users_beside_{os.getpid()}_{secrets.token_hex(3)}"
    create_database(server, name)
    try:
        database_url = with_database(server, name)
        migrate(repo_root() / "services" / "users" / "alembic.ini", database_url)
        yield spawn_uvicorn(
            "users_service.main:app",
            DATABASE_URL=database_url,
            JWT_PRIVATE_KEY=jwt_private_key,
            REDIS_URL=own_redis.url,
        )
    finally:
        drop_database(server, name)
