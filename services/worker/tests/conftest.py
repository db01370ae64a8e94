"""Fixtures of the worker suites: items databases on both servers, a private Redis, and
real worker processes started from `worker_test_app` (see there).

Workers get short time limits below a short visibility timeout, so a message of a
killed worker comes back within seconds, not the production ten minutes.
"""

import contextlib
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis
from celery import Celery
from sqlalchemy import func, insert, select, text, update

from devstack.ports import free_port
from devstack.processes import spawn, terminate
from devstack.servers import RedisServer
from servicecontracts.job_messages import JobMessage
from servicecontracts.jobs import UNFINISHED
from servicecontracts.jobs import jobs as jobs_table
from servicekit.clients.jobs import create_celery, send_job
from servicekit.core.settings import ProcessSettings
from servicekit.db.engines import create_sync_engine
from servicekit.db.models import utcnow
from testkit.backends import BACKENDS
from testkit.databases import throwaway_database
from worker_service.resources import Resources
from worker_service.settings import WorkerSettings

TESTS = Path(__file__).parent
SERVICES = TESTS.parents[1]
EVENTS_KEY = "worker-test:events"
VISIBILITY_TIMEOUT_SECONDS = 10
WORKER_ENV = {
    "VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
    "SOFT_TIME_LIMIT_SECONDS": "6",
    "TIME_LIMIT_SECONDS": "8",
    "REDIS_TIMEOUT": "1",
    # Celery warns about running as root before any logging is set up; CI runs as root.
    "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
}


@contextlib.contextmanager
def migrated_databases(
    server_urls: dict[str, str], service: str, backends: list[str] = BACKENDS
) -> Iterator[dict[str, str]]:
    """backend -> the URL of a database of `service` migrated to head, for this session:
    the worker's own, beside the ones the service's suites roll back in."""
    alembic_ini = SERVICES / service / "alembic.ini"
    prefix = f"{service}_worker_test"
    with contextlib.ExitStack() as stack:
        yield {
            backend: stack.enter_context(
                throwaway_database(server_urls[backend], prefix, alembic_ini)
            )
            for backend in backends
        }


@pytest.fixture(scope="session")
def items_databases(server_urls: dict[str, str]) -> Iterator[dict[str, str]]:
    with migrated_databases(server_urls, "items") as urls:
        yield urls


@pytest.fixture(params=BACKENDS)
def items_database_url(request: pytest.FixtureRequest, items_databases: dict[str, str]) -> str:
    return items_databases[request.param]


@pytest.fixture(scope="session")
def tasks_databases(server_urls: dict[str, str]) -> Iterator[dict[str, str]]:
    """tasks' databases, where job records live."""
    with migrated_databases(server_urls, "tasks") as urls:
        yield urls


@pytest.fixture(scope="session")
def users_database(server_urls: dict[str, str]) -> Iterator[str]:
    with migrated_databases(server_urls, "users", ["postgres"]) as urls:
        yield urls["postgres"]


_job_ids = itertools.count(int(time.time() * 1000) << 22)


class JobTable:
    """tasks' `jobs` table, written as tasks writes it on a submission."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_sync_engine(ProcessSettings(), database_url)

    def add(
        self,
        kind: str,
        params: dict[str, Any],
        *,
        job_id: int | None = None,
        token: str | None = None,
        **values: object,
    ) -> int:
        job_id = job_id or self.new_id()
        row = {
            "id": job_id,
            "owner_id": 1,
            "kind": kind,
            "params": params,
            "status": "queued",
            "attempts": 0,
            "request_id": None,
            "submitter_token": token,
            "created_at": utcnow(),
            **values,
        }
        with self.engine.begin() as connection:
            connection.execute(insert(jobs_table).values(**row))
        return job_id

    @staticmethod
    def new_id() -> int:
        """A new job id, as large as tasks' Snowflake ids."""
        return next(_job_ids)

    def get(self, job_id: int) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs_table).where(jobs_table.c.id == job_id)).one()
        return dict(row._mapping)

    def count(self, **equal: object) -> int:
        query = select(func.count()).select_from(jobs_table)
        query = query.where(*(jobs_table.c[name] == value for name, value in equal.items()))
        with self.engine.connect() as connection:
            count: int = connection.execute(query).scalar_one()
            return count

    def wait_until_ended(self, job_id: int, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (job := self.get(job_id))["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
            time.sleep(0.1)
        return job

    def end_unfinished(self) -> None:
        """Fails what a test left unfinished, so no later test's worker re-sends it."""
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs_table)
                .where(jobs_table.c.status.in_(UNFINISHED))
                .values(status="failed", error="left by a test")
            )


@pytest.fixture(params=BACKENDS)
def any_job_table(
    request: pytest.FixtureRequest, tasks_databases: dict[str, str]
) -> Iterator[JobTable]:
    """The jobs table on each database."""
    table = JobTable(tasks_databases[request.param])
    yield table
    table.end_unfinished()
    table.engine.dispose()


@pytest.fixture
def job_table(tasks_databases: dict[str, str]) -> Iterator[JobTable]:
    """The jobs table where tasks keeps it, on MariaDB: what workers read and write."""
    table = JobTable(tasks_databases["mysql"])
    yield table
    table.end_unfinished()
    table.engine.dispose()


def start_redis(root: Path, port: int) -> RedisServer:
    server = RedisServer(root / f"redis-{port}", port)
    server.start()
    return server


@pytest.fixture(scope="session")
def private_redis() -> Iterator[RedisServer]:
    """A Redis of the suite's own: tests flush it, and workers on it see no other jobs."""
    root = Path(tempfile.mkdtemp(prefix="worker-test-"))
    root.chmod(0o755)
    server = start_redis(root, free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def broker_url(private_redis: RedisServer) -> str:
    """The private Redis, emptied: no job or event of an earlier test is left in it."""
    with redis.Redis.from_url(private_redis.url) as client:
        client.flushall()
    return private_redis.url


@pytest.fixture
def views_key_prefix() -> str:
    return f"items-worker-test-{secrets.token_hex(4)}:views"


@pytest.fixture
def worker_settings(
    items_databases: dict[str, str], tasks_databases: dict[str, str]
) -> Callable[..., WorkerSettings]:
    """`worker_settings(**values)`: the worker's settings for a test in this process, on
    the session's items and tasks databases unless `values` name others."""

    def make(**values: Any) -> WorkerSettings:
        databases: dict[str, Any] = {
            "items_database_url": items_databases["postgres"],
            "tasks_database_url": tasks_databases["mysql"],
        }
        return WorkerSettings(**databases | values)

    return make


# The owner of the rows make_item writes: no account users hands out in a test session,
# so the report tests, whose users register there, never count them as their own.
UNREGISTERED_OWNER = 2_000_000_000


class MakeItem(Protocol):
    def __call__(self, views: int = 0) -> int: ...


@pytest.fixture
def make_item(
    items_database_url: str, worker_settings: Callable[..., WorkerSettings]
) -> Iterator[MakeItem]:
    """`make_item(views)`: a new row in the items table; returns its id."""
    resources = Resources(worker_settings(items_database_url=items_database_url))

    def make(views: int = 0) -> int:
        now = utcnow().replace(tzinfo=None)
        with resources.items_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO items (owner_id, title, views, created_at, updated_at)"
                    " VALUES (:owner, 'Brass Lantern', :views, :now, :now)"
                ),
                {"owner": UNREGISTERED_OWNER, "views": views, "now": now},
            )
            return int(connection.execute(text("SELECT max(id) FROM items")).scalar_one())

    yield make
    resources.close()


@pytest.fixture
def stored_views(
    items_database_url: str, worker_settings: Callable[..., WorkerSettings]
) -> Iterator[Callable[[int], int | None]]:
    resources = Resources(worker_settings(items_database_url=items_database_url))

    def read(item_id: int) -> int | None:
        with resources.items_engine.connect() as connection:
            views: int | None = connection.execute(
                text("SELECT views FROM items WHERE id = :id"), {"id": item_id}
            ).scalar()
            return views

    yield read
    resources.close()


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    hostname: str
    log: Path
    heartbeat_file: Path
    env: dict[str, str] = field(repr=False)

    def lines(self) -> list[dict[str, Any]]:
        """The worker's stdout, one JSON object per line (fails on any other line)."""
        text_lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in text_lines if line.strip()]

    def wait_for_log(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists() and needle in self.log.read_text():
                return
            assert self.process.poll() is None, f"worker exited:\n{self.log.read_text()}"
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not logged in {timeout} s:\n{self.log.read_text()}")

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.env['METRICS_PORT']}/metrics"

    def kill(self) -> None:
        """kill -9 the main process and its pool processes, as an OOM kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def spawn_worker(
    tmp_path: Path,
    views_key_prefix: str,
    items_databases: dict[str, str],
    tasks_databases: dict[str, str],
) -> Iterator[Callable[..., Worker]]:
    """`spawn_worker(broker_url, name="w1", concurrency=2, **env)`: a real worker, ready,
    serving its metrics on a port of its own (`Worker.metrics_url`)."""
    workers: list[Worker] = []

    def start(broker: str, name: str = "w1", concurrency: int = 2, **env: str) -> Worker:
        heartbeat_file = tmp_path / f"{name}.heartbeat"
        environment = (
            os.environ
            | WORKER_ENV
            | {
                "REDIS_URL": broker,
                "VIEWS_KEY_PREFIX": views_key_prefix,
                "HEARTBEAT_FILE": str(heartbeat_file),
                "ITEMS_DATABASE_URL": items_databases["postgres"],
                "TASKS_DATABASE_URL": tasks_databases["mysql"],
                "PYTHONPATH": str(TESTS),
                "METRICS_PORT": str(free_port()),
                "METRICS_HOST": "127.0.0.1",
                **env,
            }
        )
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            # Each worker makes a directory of its own; a shared one would mix their counts.
            environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        argv = [sys.executable, "-m", "celery", "--quiet", "-A", "worker_test_app", "worker"]
        argv += ["--loglevel", "INFO", "--concurrency", str(concurrency)]
        argv += ["--hostname", f"{name}@%h", "--without-mingle", "--without-gossip"]
        log = tmp_path / f"{name}-{len(workers)}.log"
        process = spawn(argv, env=environment, log=log)
        worker = Worker(process, name, log, heartbeat_file, environment)
        workers.append(worker)
        worker.wait_for_log(" ready.")
        return worker

    yield start
    for worker in workers:
        terminate(worker.process, grace=15)
        # Pool processes that outlived a killed main process.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.process.pid, signal.SIGKILL)


@dataclass
class Beat:
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def spawn_beat(tmp_path: Path) -> Iterator[Callable[..., Beat]]:
    """`spawn_beat(worker, **env)`: a real beat sending to `worker`'s Redis, with its
    settings (and `env` on top)."""
    beats: list[Beat] = []

    def start(worker: Worker, **env: str) -> Beat:
        argv = [sys.executable, "-m", "celery", "--quiet", "-A", "worker_test_app", "beat"]
        argv += ["--loglevel", "INFO", "--schedule", str(tmp_path / f"beat-{len(beats)}")]
        log = tmp_path / f"beat-{len(beats)}.log"
        beat = Beat(spawn(argv, env=worker.env | env, log=log), log)
        beats.append(beat)
        return beat

    yield start
    for beat in beats:
        terminate(beat.process, grace=15)


@pytest.fixture
def submitter(broker_url: str) -> Celery:
    """The Celery app a service would send jobs with: a broker URL, no worker code."""
    return create_celery("submitter", broker_url)


@pytest.fixture
def submit(job_table: JobTable, broker_url: str) -> Callable[..., int]:
    """`submit(kind, params, broker=broker_url, token=None)`: records a job and sends it,
    as tasks does on a submission; returns the job's id."""

    def record_and_send(
        kind: str, params: dict[str, Any], *, broker: str = broker_url, token: str | None = None
    ) -> int:
        job_id = job_table.add(kind, params, token=token)
        send_job(create_celery("submitter", broker), JobMessage(job_id, kind, params, token))
        return job_id

    return record_and_send


class Events:
    """Job starts and finishes, as `worker_test_app` records them in Redis."""

    def __init__(self, url: str) -> None:
        self.url = url

    def all(self) -> list[dict[str, Any]]:
        with redis.Redis.from_url(self.url) as client:
            events: list[dict[str, Any]] = [
                json.loads(raw) for raw in client.lrange(EVENTS_KEY, 0, -1)
            ]
            return events

    def wait(self, timeout: float = 30, **match: object) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                for event in self.all():
                    if all(event.get(key) == value for key, value in match.items()):
                        return event
            time.sleep(0.1)
        raise AssertionError(f"no event {match} in {timeout} s; got {self.all()}")


@pytest.fixture
def events(broker_url: str) -> Events:
    return Events(broker_url)


@pytest.fixture
def events_on() -> type[Events]:
    """`events_on(redis_url)`: the events recorded on another Redis than `broker_url`."""
    return Events
