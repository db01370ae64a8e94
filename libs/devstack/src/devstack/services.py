"""The services of `make run`: every per-service fact lives in this one table.

Adding items, tasks or the Celery worker is one more `Service(...)` here (plus, for an
HTTP service, its upstream and location in gateway/nginx.conf.template).
"""

import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    # None for a process that serves no HTTP (the Celery worker): no gateway route, and
    # `argv` must say how to run it.
    port: int | None
    # "postgres" or "mysql": where its database goes unless <NAME>_DATABASE_URL is set.
    backend: str | None
    database: str | None = None
    # Relative to the repository root.
    alembic_ini: str | None = None
    # Arguments of `python -m <package>.seed`, run while `seed_table` is empty.
    seed_args: tuple[str, ...] = ()
    seed_table: str | None = None
    # The issuer of access tokens gets the private key; every service gets the public one.
    signs_tokens: bool = False
    # The process, without the interpreter; by default uvicorn serving <package>.main:app.
    argv: tuple[str, ...] | None = None
    health_path: str | None = "/healthz"
    # What a process without a health URL writes once it is ready (a regular
    # expression on its output lines): the stack waits for it before saying it is up.
    ready_line: str | None = None
    # Where a process without `port` serves /metrics (the worker); HTTP services serve it
    # on their own port.
    metrics_port: int | None = None

    @property
    def database_url_variable(self) -> str:
        return f"{self.name.upper()}_DATABASE_URL"

    @property
    def base_url(self) -> str | None:
        return None if self.port is None else f"http://{HOST}:{self.port}"

    @property
    def metrics_address(self) -> str | None:
        """host:port of its /metrics, for Prometheus."""
        port = self.port or self.metrics_port
        return None if port is None else f"{HOST}:{port}"

    @property
    def health_url(self) -> str | None:
        if self.base_url is None or self.health_path is None:
            return None
        return self.base_url + self.health_path

    def command(self) -> list[str]:
        if self.argv is not None:
            return [sys.executable, *self.argv]
        if self.port is None:
            raise ValueError(f"service {self.name} has neither a port nor an argv")
        return [
            sys.executable,
            *("-m", "uvicorn", f"{self.package}.main:app"),
            *("--host", HOST, "--port", str(self.port)),
            *("--loop", "uvloop", "--http", "httptools", "--no-server-header"),
        ]


SERVICES: tuple[Service, ...] = (
    Service(
        name="users",
        package="users_service",
        port=8001,
        backend="postgres",
        database="users",
        alembic_ini="services/users/alembic.ini",
        seed_args=("--count", "1000"),
        seed_table="users",
        signs_tokens=True,
    ),
    # Seeded items and tasks belong to the seeded users: ids 1..1001, the demo account 1.
    Service(
        name="items",
        package="items_service",
        port=8002,
        backend="postgres",
        database="items",
        alembic_ini="services/items/alembic.ini",
        seed_args=("--count", "5000", "--owners", "1001"),
        seed_table="items",
    ),
    Service(
        name="tasks",
        package="tasks_service",
        port=8003,
        backend="mysql",
        database="tasks",
        alembic_ini="services/tasks/alembic.ini",
        seed_args=("--count", "5000", "--owners", "1001"),
        seed_table="tasks",
    ),
    # The Celery worker and beat: no HTTP, no database of their own. Started last, so
    # they get every other service's <NAME>_DATABASE_URL (the flush writes items').
    Service(
        name="worker",
        package="worker_service",
        port=None,
        backend=None,
        argv=(
            *("-m", "celery", "--quiet", "-A", "worker_service.celery_app", "worker"),
            *("--loglevel", "INFO", "--concurrency", "2"),
        ),
        health_path=None,
        ready_line=r"@\S+ ready\.",  # Celery's "celery@<host> ready."
        metrics_port=9101,
    ),
    Service(
        name="beat",
        package="worker_service",
        port=None,
        backend=None,
        argv=("-m", "celery", "--quiet", "-A", "worker_service.celery_app", "beat"),
        # Celery's default level for beat is WARNING: it says nothing while all is well.
        health_path=None,
    ),
)


def relocated(
    services: tuple[Service, ...],
    ports: Iterator[int],
    *,
    database_suffix: str,
    backend: str | None = None,
) -> tuple[Service, ...]:
    """The same services on other ports and databases (`<database><suffix>`), all on
    `backend` if given: a second stack beside `make run`'s, for tests and benchmarks."""
    return tuple(
        replace(
            s,
            port=next(ports),
            database=f"{s.database}{database_suffix}" if s.database else None,
            backend=backend or s.backend,
        )
        if s.port is not None
        else replace(s, metrics_port=next(ports))
        if s.metrics_port is not None
        else s
        for s in services
    )
