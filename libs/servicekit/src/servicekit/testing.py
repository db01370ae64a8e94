"""pytest plugin (`-p servicekit.testing`): real servers, a migrated database per
backend and session, a rolled-back transaction per test, and an httpx client over the
app with its lifespan.

A service's conftest provides two session fixtures:
- `alembic_ini`: the path of the service's alembic.ini;
- `app_factory`: `(database_url, redis_url) -> FastAPI`.

It gets `client`, `api` (both modes), `sql`, `mint_token` (tokens signed with the test
key pair, `jwt_private_key` / `jwt_public_key`), `fresh_database_url` (a database of a
test's own, for real processes; `empty_database_url` before any migration),
`spawn_uvicorn` (a real service process) and `recorded_spans` (the spans this process
ends during a test).

Servers come from TEST_POSTGRES_URL, TEST_MYSQL_URL and TEST_REDIS_URL (default: the
standard local ports); one that does not answer is started for the run from the
machine's own binaries (see devstack).
"""

import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlalchemy.orm import sessionmaker

DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql://root@127.0.0.1:3306/",
    "redis": "redis://127.0.0.1:6379/0",
}
MODES = {"async": "/api", "sync": "/sync/api"}


def _configured_url(kind: str) -> str:
    return os.environ.get(f"TEST_{kind.upper()}_URL", DEFAULT_URLS[kind])


def assert_problem(response: httpx.Response, status: int) -> dict:
    """Asserts an RFC 9457 problem of this status that carries the request id; returns it."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert all(isinstance(body[key], str) and body[key] for key in ("type", "title", "detail"))
    assert body["request_id"] == response.headers["x-request-id"]
    for error in body.get("errors", []):
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str)
        assert isinstance(error["type"], str)
    if status == 401:
        assert "Bearer" in response.headers.get("www-authenticate", "")
    return body


def assert_invalid(response: httpx.Response) -> dict:
    """Asserts a 422 validation problem that says which fields; returns it."""
    body = assert_problem(response, 422)
    assert body["errors"]
    return body


def assert_modes_agree(document: dict) -> None:
    """Every operation of an OpenAPI document under /api has a twin under /sync/api that
    is identical but for its path (and the tag, operation id and response schema title
    that carry the path)."""
    async_prefix, sync_prefix = MODES["async"], MODES["sync"]
    paths = document["paths"]
    async_paths = {p.removeprefix(async_prefix) for p in paths if p.startswith(async_prefix + "/")}
    sync_paths = {p.removeprefix(sync_prefix) for p in paths if p.startswith(sync_prefix + "/")}
    assert async_paths, "no operation under /api"
    assert async_paths == sync_paths
    for path in async_paths:
        async_ops, sync_ops = paths[async_prefix + path], paths[sync_prefix + path]
        assert async_ops.keys() == sync_ops.keys(), path
        for method, operation in async_ops.items():
            twin = sync_ops[method]
            assert (operation["tags"], twin["tags"]) == (["async"], ["sync"])
            operation_id = operation["operationId"].replace("_api_", "_sync_api_", 1)
            assert twin["operationId"] == operation_id, f"{method} {path}"
            unnamed = ("tags", "operationId")
            contract = json.dumps({k: v for k, v in operation.items() if k not in unnamed})
            twin_contract = json.dumps({k: v for k, v in twin.items() if k not in unnamed})
            # FastAPI titles a union response schema "Response <Name> <Path>".
            assert contract == twin_contract.replace(" Sync Api ", " Api "), f"{method} {path}"


async def first_with_status(
    send: Callable[[], Awaitable[httpx.Response]], status: int, within_seconds: float = 15.0
) -> httpx.Response:
    """`send()` again every 0.1 s until it answers `status`; the last answer after
    `within_seconds` (the caller asserts on it). For what takes effect within seconds."""
    deadline = time.monotonic() + within_seconds
    while True:
        response = await send()
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


@pytest.fixture(name="assert_problem")
def _assert_problem_fixture():
    return assert_problem


@pytest.fixture(name="assert_invalid")
def _assert_invalid_fixture():
    return assert_invalid


@pytest.fixture(scope="session")
def server_urls() -> dict[str, str]:
    """URLs of a Postgres, a MariaDB/MySQL and a Redis that answer, started if need be."""
    # devstack is a dev-only dependency: imported when a test needs it.
    from devstack.ports import free_port
    from devstack.probes import ensure_reachable
    from devstack.servers import MariaDBServer, PostgresServer, RedisServer

    throwaway = {"postgres": PostgresServer, "mysql": MariaDBServer, "redis": RedisServer}
    urls = {kind: _configured_url(kind) for kind in DEFAULT_URLS}
    missing = [kind for kind, url in urls.items() if not ensure_reachable(url)]
    if not missing:
        yield urls
        return
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="servicekit-")))
        root.chmod(0o755)  # Postgres runs as its own user and must reach its data dir
        for kind in missing:
            server = throwaway[kind](root / kind, free_port())
            urls[kind] = stack.enter_context(server).url
        yield urls


@pytest.fixture(scope="session")
def redis_url(server_urls: dict[str, str]) -> str:
    return server_urls["redis"]


@pytest.fixture(scope="session", params=["postgres", "mysql"])
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _migrated_databases(server_urls: dict[str, str]) -> Iterator[dict]:
    """(alembic.ini, backend) -> URL: one database per service and backend per session.

    A registry rather than a session fixture per database: a session fixture of this
    plugin would be computed once for the first service's `alembic_ini` and then handed
    to every other service's tests as well.
    """
    from devstack import databases

    created: dict[tuple[Path, str], tuple[str, str, str]] = {}
    yield created
    for server, name, _url in created.values():
        databases.drop_database(server, name)


@pytest.fixture
def database_url(
    database_backend: str,
    server_urls: dict[str, str],
    alembic_ini: Path,
    _migrated_databases: dict,
) -> str:
    """The session's database of this service on this backend, migrated to head."""
    from devstack import databases

    key = (alembic_ini, database_backend)
    if key not in _migrated_databases:
        server = server_urls[database_backend]
        name = f"{alembic_ini.parent.name}_test_{os.getpid()}_{secrets.token_hex(3)}"
        databases.create_database(server, name)
        url = databases.with_database(server, name)
        _migrated_databases[key] = (server, name, url)
        migrate(alembic_ini, url)
    return _migrated_databases[key][2]


def migrate(alembic_ini: Path, database_url: str, revision: str = "head") -> None:
    config = Config(str(alembic_ini))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


@pytest.fixture
def empty_database_url(database_backend: str, server_urls: dict[str, str], alembic_ini: Path):
    """A database of one test's own that no migration has touched."""
    from devstack import databases

    server = server_urls[database_backend]
    name = f"{alembic_ini.parent.name}_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    databases.create_database(server, name)
    try:
        yield databases.with_database(server, name)
    finally:
        databases.drop_database(server, name)


@pytest.fixture
def fresh_database_url(empty_database_url: str, alembic_ini: Path) -> str:
    """A migrated database of one test's own, for real processes that commit."""
    migrate(alembic_ini, empty_database_url)
    return empty_database_url


@pytest.fixture
def spawn_uvicorn(redis_url: str, jwt_public_key: str, tmp_path: Path):
    """`spawn_uvicorn("users_service.main:app", DATABASE_URL=...)`: a real service process,
    answering /healthz; returns its base URL. Stopped after the test."""
    from devstack.health import wait_until_ok
    from devstack.ports import free_port
    from devstack.processes import spawn, terminate

    processes = []

    def spawn_one(app: str, **env: str) -> str:
        port = free_port()
        environment = os.environ | {
            "REDIS_URL": redis_url,
            "JWT_PUBLIC_KEY": jwt_public_key,
            **env,
        }
        argv = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
        argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        process = spawn(argv, env=environment, log=tmp_path / f"{app.split('.')[0]}-{port}.log")
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        started = wait_until_ok(
            f"{base_url}/healthz", timeout=30, alive=lambda: process.poll() is None
        )
        assert started, f"{app} did not start; see {tmp_path}"
        return base_url

    yield spawn_one
    for process in processes:
        terminate(process)


@pytest.fixture(scope="session")
def jwt_private_key() -> str:
    """The test key pair: users signs with it, every service verifies with its public half."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@pytest.fixture(scope="session")
def jwt_public_key(jwt_private_key: str) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(jwt_private_key.encode(), password=None)
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="session")
def mint_token(jwt_private_key: str):
    """Signs tokens as users does, or with another key, algorithm or claims."""

    def mint(
        sub: str,
        *,
        expires_in: int = 300,
        private_key: str | None = None,
        algorithm: str = "EdDSA",
        claims: dict | None = None,
    ) -> str:
        now = time.time()  # fractional, as users issues them (a revocation compares it)
        payload = {"sub": sub, "iss": "users", "aud": "services", "iat": now}
        payload |= {"exp": int(now) + expires_in, **(claims or {})}
        return jwt.encode(payload, private_key or jwt_private_key, algorithm=algorithm)

    return mint


@pytest.fixture(scope="session")
async def _running_apps() -> AsyncIterator[tuple[AsyncExitStack, dict]]:
    """database URL -> app with its lifespan entered; all shut down at the session's end."""
    async with AsyncExitStack() as stack:
        yield stack, {}


@pytest.fixture
async def app(app_factory, database_url: str, redis_url: str, _running_apps):
    """The service's app on its session database; started once per session."""
    stack, apps = _running_apps
    if database_url not in apps:
        application = app_factory(database_url, redis_url)
        await stack.enter_async_context(application.router.lifespan_context(application))
        apps[database_url] = application
    return apps[database_url]


@pytest.fixture(params=list(MODES))
def api(request: pytest.FixtureRequest) -> str:
    """The path prefix of one mode: every contract test runs over /api and /sync/api."""
    return MODES[request.param]


@dataclass
class Transaction:
    """The connections of one test; everything done through them is rolled back."""

    async_connection: AsyncConnection
    sync_connection: Connection


@pytest.fixture
async def transaction(app) -> AsyncIterator[Transaction]:
    """Binds the app's sessions to connections in an open transaction for one test.

    Sessions commit into savepoints, so handlers behave as in production, and the
    outer rollback leaves the database as it was.
    """
    db = app.state.service.db
    original = db.async_sessions, db.sync_sessions, db.async_read_sessions, db.sync_read_sessions
    async with db.async_engine.connect() as async_connection:
        await async_connection.begin()
        sync_connection = await asyncio.to_thread(db.sync_engine.connect)
        sync_connection.begin()
        options = {"expire_on_commit": False, "join_transaction_mode": "create_savepoint"}
        db.async_sessions = async_sessionmaker(bind=async_connection, **options)
        db.sync_sessions = sessionmaker(bind=sync_connection, **options)
        db.async_read_sessions, db.sync_read_sessions = db.async_sessions, db.sync_sessions
        try:
            yield Transaction(async_connection, sync_connection)
        finally:
            (db.async_sessions, db.sync_sessions, db.async_read_sessions, db.sync_read_sessions) = (
                original
            )
            await async_connection.rollback()
            await asyncio.to_thread(_rollback_and_close, sync_connection)


def _rollback_and_close(connection: Connection) -> None:
    connection.rollback()
    connection.close()


@pytest.fixture
async def client(app, transaction: Transaction) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as c:
        yield c


@pytest.fixture
def sql(transaction: Transaction, api: str) -> Callable[[str], Awaitable[object]]:
    """`await sql("SELECT ...")`: the first value, seen from inside the mode's transaction."""

    async def scalar(statement: str) -> object:
        if api == MODES["async"]:
            return (await transaction.async_connection.execute(text(statement))).scalar()
        return await asyncio.to_thread(
            lambda: transaction.sync_connection.execute(text(statement)).scalar()
        )

    return scalar


class _SpanRecorder(SpanProcessor):
    """Keeps the spans that end while a test records; the process's tracer provider
    keeps its processors for good, so this one is added once and switched on and off."""

    def __init__(self):
        self.spans: list[ReadableSpan] = []
        self.recording = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording:
            self.spans.append(span)


@pytest.fixture(scope="session")
def _span_recorder() -> _SpanRecorder:
    from servicekit.tracing import configure_tracing, export_spans

    recorder = _SpanRecorder()
    configure_tracing("tests")
    export_spans(recorder)
    return recorder


@pytest.fixture
def recorded_spans(_span_recorder: _SpanRecorder) -> Iterator[list[ReadableSpan]]:
    """The spans ended in this process during the test, in the order they ended."""
    _span_recorder.spans = []
    _span_recorder.recording = True
    try:
        yield _span_recorder.spans
    finally:
        _span_recorder.recording = False
