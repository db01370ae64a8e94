import contextlib
import secrets
from typing import Any

import psycopg
import pymysql
import pytest
from sqlalchemy.engine import make_url

from devstack.databases import (
    create_database,
    database_exists,
    drop_database,
    has_rows,
    with_database,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def name() -> str:
    return f"devstack_test_{secrets.token_hex(4)}"


@pytest.fixture(params=["postgres", "mysql"])
def server_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_server_url")
    return url


def _execute(url: str, *statements: str) -> list[Any]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        with psycopg.connect(url, autocommit=True) as connection:
            results = [connection.execute(statement) for statement in statements]
            return results[-1].fetchall() if results[-1].description else []
    mysql = pymysql.connect(
        host=parsed.host, port=parsed.port or 3306, user=parsed.username, database=parsed.database
    )
    with contextlib.closing(mysql), mysql.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        mysql.commit()
        return list(cursor.fetchall())


def test_create_and_drop_are_idempotent(server_url: str, name: str) -> None:
    try:
        create_database(server_url, name)
        create_database(server_url, name)
        assert database_exists(server_url, name)
        database_url = with_database(server_url, name)
        _execute(database_url, "CREATE TABLE things (id integer)")
    finally:
        drop_database(server_url, name)
    drop_database(server_url, name)
    assert not database_exists(server_url, name)


def test_has_rows(server_url: str, name: str) -> None:
    create_database(server_url, name)
    try:
        database_url = with_database(server_url, name)
        _execute(database_url, "CREATE TABLE things (id integer)")
        assert not has_rows(database_url, "things")
        _execute(database_url, "INSERT INTO things VALUES (1)")
        assert has_rows(database_url, "things")
    finally:
        drop_database(server_url, name)


def test_mysql_database_is_utf8mb4_unicode(mysql_server_url: str, name: str) -> None:
    create_database(mysql_server_url, name)
    try:
        columns = "default_character_set_name, default_collation_name"
        query = f"SELECT {columns} FROM information_schema.schemata WHERE schema_name = '{name}'"  # noqa: S608
        rows = _execute(mysql_server_url, query)
        assert rows == [("utf8mb4", "utf8mb4_unicode_ci")]
    finally:
        drop_database(mysql_server_url, name)


def test_postgres_drop_disconnects_open_sessions(postgres_server_url: str, name: str) -> None:
    create_database(postgres_server_url, name)
    with psycopg.connect(with_database(postgres_server_url, name)):
        drop_database(postgres_server_url, name)
    assert not database_exists(postgres_server_url, name)


def test_postgres_create_from_the_url_of_that_database(postgres_server_url: str, name: str) -> None:
    # `make run` hands over the service's own URL; it cannot connect there yet.
    database_url = with_database(postgres_server_url, name)
    create_database(database_url, name)
    try:
        assert database_exists(postgres_server_url, name)
    finally:
        drop_database(database_url, name)


@pytest.mark.parametrize(
    ("server_url", "expected"),
    [
        ("mysql://root@127.0.0.1:3306/", "mysql://root@127.0.0.1:3306/users"),
        (
            "postgresql://postgres@127.0.0.1:5432/postgres",
            "postgresql://postgres@127.0.0.1:5432/users",
        ),
        (
            "postgresql+asyncpg://app:s%40cret@db:5432/other?ssl=disable",
            "postgresql+asyncpg://app:s%40cret@db:5432/users?ssl=disable",
        ),
        (
            "mariadb://root@localhost/x?charset=utf8mb4",
            "mariadb://root@localhost/users?charset=utf8mb4",
        ),
    ],
)
def test_with_database_replaces_only_the_database(server_url: str, expected: str) -> None:
    assert with_database(server_url, "users") == expected


@pytest.mark.parametrize("bad", ["", "users; DROP TABLE x", "a-b", "1users", "x" * 64, 'a"b'])
def test_names_must_be_plain_identifiers(bad: str) -> None:
    with pytest.raises(ValueError, match="not a plain"):
        with_database("mysql://root@127.0.0.1:3306/", bad)
