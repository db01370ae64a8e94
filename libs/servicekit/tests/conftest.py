"""Fixtures of the servicekit suite: scratch databases on both backends, a tiny app per test.

The plugin `testkit` provides `server_urls` (real Postgres, MariaDB and Redis) and
`redis_url`. Test modules cannot import each other here (`--import-mode=importlib`), so the
shared helpers are fixtures.
"""

import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import httpx
import pytest
import redis
import structlog
from fastapi import APIRouter
from sqlalchemy import MetaData, create_engine, delete

from devstack import databases
from devstack.ports import free_port
from servicekit.app import create_app
from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import sync_url

BACKENDS = ["postgres", "mysql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


class ScratchDatabases:
    """One database per backend for the whole session, made on first use, dropped at the end."""

    def __init__(self, server_urls: dict[str, str]) -> None:
        self._server_urls = server_urls
        self._names: dict[str, str] = {}

    def url(self, backend: str) -> str:
        server = self._server_urls[backend]
        if backend not in self._names:
            name = f"servicekit_test_{os.getpid()}_{secrets.token_hex(3)}"
            databases.create_database(server, name)
            self._names[backend] = name
        return databases.with_database(server, self._names[backend])

    def drop_all(self) -> None:
        for backend, name in self._names.items():
            databases.drop_database(self._server_urls[backend], name)


@pytest.fixture(scope="session")
def scratch_databases(server_urls: dict[str, str]) -> Iterator[ScratchDatabases]:
    scratch = ScratchDatabases(server_urls)
    try:
        yield scratch
    finally:
        scratch.drop_all()


@pytest.fixture
def database_url(backend: str, scratch_databases: ScratchDatabases) -> str:
    """A scratch database of the backend (shared by the session: tests remove their rows)."""
    return scratch_databases.url(backend)


@pytest.fixture
def tables(database_url: str) -> Iterator[Callable[[MetaData], None]]:
    """`tables(metadata)`: creates the tables if need be; their rows are deleted afterwards."""
    engine = create_engine(sync_url(database_url))
    used: list[MetaData] = []

    def create(metadata: MetaData) -> None:
        metadata.create_all(engine)
        used.append(metadata)

    try:
        yield create
    finally:
        with engine.begin() as connection:
            for metadata in used:
                for table in reversed(metadata.sorted_tables):
                    connection.execute(delete(table))
        engine.dispose()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def service_settings(jwt_public_key: str) -> Callable[..., ServiceSettings]:
    """`service_settings(database_url=..., **fields)`: valid settings of a service (a token
    key included, as a service must have one) with the fields a test is about."""

    def make(**fields: Any) -> ServiceSettings:
        return ServiceSettings(**{"jwt_public_key": jwt_public_key, **fields})

    return make


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused at once."""
    return free_port()


class Serve(Protocol):
    def __call__(
        self,
        routers: Iterable[APIRouter] = (),
        *,
        raise_app_exceptions: bool = True,
        **overrides: Any,
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]: ...


@pytest.fixture
def serve(server_urls: dict[str, str], jwt_public_key: str) -> Serve:
    """`async with serve(routers, **settings) as client`: the app of `create_app` with its
    lifespan entered, behind an httpx client. The worker id is pinned unless overridden."""

    @asynccontextmanager
    async def run(
        routers: Iterable[APIRouter] = (), *, raise_app_exceptions: bool = True, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        options: dict[str, Any] = {
            "service_name": "probe",
            "database_url": server_urls["postgres"],
            "redis_url": server_urls["redis"],
            "jwt_public_key": jwt_public_key,
            "worker_id": 5,
            **overrides,
        }
        app = create_app(ServiceSettings(**options), list(routers))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
            async with httpx.AsyncClient(transport=transport, base_url="http://probe.test") as c:
                yield c

    return run


FAULT_ADMIN_TOKEN = "test-fault-admin-token"


@pytest.fixture
def fault_settings() -> dict[str, Any]:
    """The settings of a service with its fault switch on (read every 50 ms), under a
    name of its own: the fault keys live in a Redis other suites share."""
    return {
        "service_name": f"probe-{secrets.token_hex(4)}",
        "faults_enabled": True,
        "fault_admin_token": FAULT_ADMIN_TOKEN,
        "fault_poll_seconds": 0.05,
    }


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {FAULT_ADMIN_TOKEN}"}


@pytest.fixture
def check_problem() -> Callable[[httpx.Response, int], dict[str, Any]]:
    """`check_problem(response, status)`: asserts an RFC 9457 body with the request id."""

    def check(response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body: dict[str, Any] = response.json()
        assert body["status"] == status
        assert all(isinstance(body[key], str) and body[key] for key in ("type", "title", "detail"))
        assert response.headers.get_list("x-request-id") == [body["request_id"]]
        return body

    return check


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`create_app` configures logging process-wide; undo it so tests do not leak handlers
    bound to a captured (and later closed) stdout."""
    root = logging.getLogger()
    level = root.level
    sqlalchemy_level = logging.getLogger("sqlalchemy").level
    yield
    for handler in root.handlers[:]:
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter):
            root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("sqlalchemy").setLevel(sqlalchemy_level)
    structlog.reset_defaults()
