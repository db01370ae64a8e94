"""The benchmarks seed the bench data they need when it is missing, saying so in one line
first, and reuse it after; a server that does not answer stops them with one line. Real
Postgres and MariaDB, databases of the test's own, a tiny BENCH_USERS."""

import io
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from devstack.databases import create_database, drop_database, has_rows, with_database
from devstack.ports import free_port
from loadtest.bench_data import bench_database_urls, ensure_bench_data
from servicekit.db.engines import sync_url

pytestmark = pytest.mark.timeout(180)

USERS = 7


@pytest.fixture
def bench_urls(
    server_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """users' bench database on Postgres and tasks' on MariaDB, as the ceiling has them,
    under names of this test's own; dropped after."""
    monkeypatch.setenv("BENCH_USERS", str(USERS))
    tag = secrets.token_hex(3)
    urls = {
        "users": with_database(server_urls["postgres"], f"users_bench_test_{tag}"),
        "tasks": with_database(server_urls["mysql"], f"tasks_bench_test_{tag}"),
    }
    yield urls
    for url in urls.values():
        drop_database(url, url.rsplit("/", 1)[1])


def count(url: str, table: str) -> int:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            result: int = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            return result
    finally:
        engine.dispose()


def test_missing_bench_data_is_seeded_once_saying_so_first(bench_urls: dict[str, str]) -> None:
    out = io.StringIO()

    ensure_bench_data(bench_urls, out)

    first = out.getvalue().splitlines()[0]
    assert first.startswith("seeding the bench data (7 users")
    assert "users_bench_test_" in first
    assert "tasks_bench_test_" in first
    assert count(bench_urls["users"], "users") == USERS + 1  # and the demo account
    assert count(bench_urls["tasks"], "tasks") == USERS

    again = io.StringIO()
    ensure_bench_data(bench_urls, again)
    assert again.getvalue() == ""
    assert count(bench_urls["users"], "users") == USERS + 1


def test_a_database_created_but_never_migrated_is_seeded(bench_urls: dict[str, str]) -> None:
    create_database(bench_urls["users"], bench_urls["users"].rsplit("/", 1)[1])

    ensure_bench_data({"users": bench_urls["users"]}, io.StringIO())

    assert has_rows(bench_urls["users"], "users")


def test_a_server_that_does_not_answer_stops_the_run_with_one_line() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/users_bench"

    with pytest.raises(SystemExit) as stopped:
        ensure_bench_data({"users": closed}, io.StringIO())

    message = str(stopped.value.code)
    assert len(message.splitlines()) == 1
    assert "nothing answers at" in message
    assert "POSTGRES_URL" in message


def test_bench_databases_are_every_service_database_with_the_suffix() -> None:
    urls = bench_database_urls("mysql://root@127.0.0.1:3306/")

    assert urls == {
        "users": "mysql://root@127.0.0.1:3306/users_bench",
        "items": "mysql://root@127.0.0.1:3306/items_bench",
        "tasks": "mysql://root@127.0.0.1:3306/tasks_bench",
    }


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["-m", "loadtest.ceiling"], id="bench-ceiling"),
        pytest.param(["-m", "loadtest.bench", "--seed-only"], id="seed-bench"),
    ],
)
def test_without_a_database_server_the_benchmarks_stop_first_with_one_line(argv: list[str]) -> None:
    """The bench data is their first step: nothing else starts (no wrk, no app)."""
    closed = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{closed}/postgres",
        "MYSQL_URL": f"mysql://root@127.0.0.1:{closed}/",
    }
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert f"nothing answers at postgresql://postgres@127.0.0.1:{closed}" in done.stderr
