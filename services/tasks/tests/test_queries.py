"""The named SQL of tasks and of jobs (queries.sql in each): each query runs on both
databases in both modes, each is used, and it is the only SQL of the reads."""

from pathlib import Path

import pytest

import tasks_service
from servicecontracts.jobs import UNFINISHED
from tasks_service.jobs.repository import SQL as JOBS_SQL
from tasks_service.repository import SQL as TASKS_SQL
from testkit.named_sql import referenced_queries, run_every_query, select_builders

PACKAGE = Path(tasks_service.__file__).parent


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_every_named_query_runs(database_url: str, jwt_public_key: str, mode: str) -> None:
    ran = await run_every_query([TASKS_SQL, JOBS_SQL], database_url, jwt_public_key, mode)
    assert ran == sorted(TASKS_SQL.names) + sorted(JOBS_SQL.names)


def test_every_named_query_is_used_and_every_use_names_one() -> None:
    assert referenced_queries(PACKAGE / "repository.py") == TASKS_SQL.names
    assert referenced_queries(PACKAGE / "jobs") == JOBS_SQL.names


def test_no_sqlalchemy_select_is_left_beside_the_named_sql() -> None:
    assert select_builders(PACKAGE) == []


def test_the_quota_counts_the_statuses_the_contract_calls_unfinished() -> None:
    statuses = ", ".join(f"'{status}'" for status in UNFINISHED)
    for statement in JOBS_SQL.unfinished_jobs.statements.values():
        assert f"status IN ({statuses})" in statement.sql
