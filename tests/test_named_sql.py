"""The named SQL of users, items and tasks (each service's queries.sql, and jobs'): every
query runs on each service's migrated database, on both servers and in both modes, every
query is used, the named SQL is the only SQL of the reads, and the jobs quota counts
what the contract calls unfinished."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import items_service
import tasks_service
import users_service
from devstack.databases import create_database, drop_database, with_database
from items_service.repository import SQL as ITEMS_SQL
from servicecontracts.jobs import UNFINISHED
from servicekit.queries.named_sql import NamedSQL
from tasks_service.jobs.repository import SQL as JOBS_SQL
from tasks_service.repository import SQL as TASKS_SQL
from testkit.databases import migrate
from testkit.named_sql import referenced_queries, run_every_query, select_builders
from users_service.repository import SQL as USERS_SQL

SERVICES = Path(__file__).parents[1] / "services"
# service -> its queries and where each set is used
QUERIES: dict[str, list[tuple[NamedSQL, Path]]] = {
    "users": [(USERS_SQL, Path(users_service.__file__).parent)],
    "items": [(ITEMS_SQL, Path(items_service.__file__).parent)],
    "tasks": [
        (TASKS_SQL, Path(tasks_service.__file__).parent / "repository.py"),
        (JOBS_SQL, Path(tasks_service.__file__).parent / "jobs"),
    ],
}
PACKAGES = {
    "users": users_service,
    "items": items_service,
    "tasks": tasks_service,
}


@pytest.fixture(scope="module", params=["postgres", "mysql"])
def migrated(
    request: pytest.FixtureRequest, server_urls: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """service -> the URL of its database on one server, migrated to head."""
    server = server_urls[request.param]
    urls = {}
    try:
        for service in QUERIES:
            name = f"{service}_queries_{os.getpid()}_{secrets.token_hex(3)}"
            create_database(server, name)
            urls[service] = with_database(server, name)
            migrate(SERVICES / service / "alembic.ini", urls[service])
        yield urls
    finally:
        for url in urls.values():
            drop_database(server, url.rsplit("/", 1)[1])


@pytest.mark.parametrize("mode", ["async", "sync"])
@pytest.mark.parametrize("service", QUERIES)
async def test_every_named_query_runs(
    migrated: dict[str, Any], jwt_public_key: str, service: str, mode: str
) -> None:
    queries = [sql for sql, _ in QUERIES[service]]
    ran = await run_every_query(queries, migrated[service], jwt_public_key, mode)
    assert ran == [name for sql in queries for name in sorted(sql.names)]


@pytest.mark.parametrize("service", QUERIES)
def test_every_named_query_is_used_and_every_use_names_one(service: str) -> None:
    for sql, used_in in QUERIES[service]:
        assert referenced_queries(used_in) == sql.names


@pytest.mark.parametrize("service", PACKAGES)
def test_no_sqlalchemy_select_is_left_beside_the_named_sql(service: str) -> None:
    module_file = PACKAGES[service].__file__
    assert module_file is not None
    assert select_builders(Path(module_file).parent) == []


def test_the_quota_counts_the_statuses_the_contract_calls_unfinished() -> None:
    statuses = ", ".join(f"'{status}'" for status in UNFINISHED)
    for statement in JOBS_SQL.unfinished_jobs.statements.values():
        assert f"status IN ({statuses})" in statement.sql
