"""The named SQL of users (queries.sql): each query runs on both databases in both modes,
each is used, and it is the only SQL of the reads."""

from pathlib import Path

import pytest

import users_service
from testkit.named_sql import referenced_queries, run_every_query, select_builders
from users_service.repository import SQL

PACKAGE = Path(users_service.__file__).parent


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_every_named_query_runs(database_url: str, jwt_public_key: str, mode: str) -> None:
    assert await run_every_query([SQL], database_url, jwt_public_key, mode) == sorted(SQL.names)


def test_every_named_query_is_used_and_every_use_names_one() -> None:
    assert referenced_queries(PACKAGE) == SQL.names


def test_no_sqlalchemy_select_is_left_beside_the_named_sql() -> None:
    assert select_builders(PACKAGE) == []
