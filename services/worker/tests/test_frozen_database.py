"""The worker's database calls have the services' deadline: a frozen tasks database makes
a job's call fail as a transient error (the job is retried later), never hang the worker.
"""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.databases import create_database, with_database
from devstack.ports import free_port
from devstack.servers import LocalServer, MariaDBServer, PostgresServer
from servicekit.db.deadlines import timed_out
from testkit.databases import migrate
from worker_service.job_records import MISSING
from worker_service.job_runner import TRANSIENT_ERRORS
from worker_service.resources import Resources
from worker_service.settings import WorkerSettings

TASKS_ALEMBIC_INI = Path(__file__).parents[2] / "tasks" / "alembic.ini"
NO_SUCH_JOB = 424242

pytestmark = pytest.mark.timeout(30, func_only=True)


@pytest.fixture(params=[PostgresServer, MariaDBServer], ids=["postgres", "mysql"])
def own_server(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """A server of this test's own, which it freezes (never a shared one)."""
    root = Path(tempfile.mkdtemp(prefix="worker-frozen-"))
    root.chmod(0o755)  # Postgres runs as its own user and must reach its data dir
    try:
        with request.param(root / "db", free_port()) as server:
            yield server
            server.thaw()  # a test cut short frozen must not leave a server that cannot stop
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def resources(own_server: LocalServer) -> Iterator[Resources]:
    create_database(own_server.url, "tasks")
    tasks_url = with_database(own_server.url, "tasks")
    migrate(TASKS_ALEMBIC_INI, tasks_url)
    settings = WorkerSettings(
        items_database_url=tasks_url,
        tasks_database_url=tasks_url,
        db_call_timeout=1,
        db_statement_timeout_ms=500,
        db_connect_timeout=1,
        tracing_enabled=False,
    )
    made = Resources(settings)
    yield made
    made.close()


def test_a_job_record_call_to_a_frozen_database_is_a_transient_error(
    own_server: LocalServer, resources: Resources
) -> None:
    records = resources.job_records
    assert records.start(NO_SUCH_JOB) == MISSING  # a pooled connection, used once
    with own_server.frozen(), pytest.raises(TRANSIENT_ERRORS) as raised:
        records.start(NO_SUCH_JOB)
    assert timed_out(raised.value), repr(raised.value)
    # The server runs again, and so does the worker, on a new connection.
    assert records.start(NO_SUCH_JOB) == MISSING
