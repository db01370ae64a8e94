"""Creating and dropping one database on a Postgres or MySQL/MariaDB server.

Both operations are idempotent, so `make run` and test suites can call them every time.
"""

import contextlib
import re

import psycopg
import pymysql
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from devstack.probes import kind_of

# Plain identifiers only: names end up in DDL, and every backend accepts these unquoted.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain database or table name: {name!r}")
    return name


def with_database(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url` (same scheme and options)."""
    url = make_url(server_url).set(database=_checked(name))
    return url.render_as_string(hide_password=False)


def _postgres(url: URL, dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=dbname,
        connect_timeout=5,
        autocommit=True,  # CREATE/DROP DATABASE refuse to run inside a transaction
    )


def _mysql(url: URL, database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database,
        connect_timeout=5,
        autocommit=True,
    )


def _maintenance_db(url: URL, name: str) -> str:
    # A database cannot be dropped from a connection to itself.
    return url.database if url.database and url.database != name else "postgres"


def create_database(server_url: str, name: str) -> None:
    url = make_url(server_url)
    name = _checked(name)
    if kind_of(server_url) == "postgres":
        with _postgres(url, _maintenance_db(url, name)) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists:
                return
            # template0 so the encoding is UTF8 whatever template1 was made with.
            statement = sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # a concurrent create
                connection.execute(statement.format(sql.Identifier(name)))
    else:
        with contextlib.closing(_mysql(url)) as link, link.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{name}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )


def drop_database(server_url: str, name: str) -> None:
    """Drops `name` even while clients are connected to it (they are disconnected)."""
    url = make_url(server_url)
    name = _checked(name)
    if kind_of(server_url) == "postgres":
        with _postgres(url, _maintenance_db(url, name)) as connection:
            statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(statement.format(sql.Identifier(name)))
    else:
        with contextlib.closing(_mysql(url)) as link, link.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def database_exists(server_url: str, name: str) -> bool:
    url = make_url(server_url)
    name = _checked(name)
    if kind_of(server_url) == "postgres":
        with _postgres(url, _maintenance_db(url, name)) as connection:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            return connection.execute(query, (name,)).fetchone() is not None
    with contextlib.closing(_mysql(url)) as link, link.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,))
        return cursor.fetchone() is not None


def has_rows(database_url: str, table: str) -> bool:
    """Whether `table` of the database at `database_url` holds at least one row."""
    url = make_url(database_url)
    query = f"SELECT 1 FROM {_checked(table)} LIMIT 1"  # noqa: S608 - checked identifier
    if kind_of(database_url) == "postgres":
        with _postgres(url, url.database or "postgres") as connection:
            return connection.execute(query).fetchone() is not None
    with contextlib.closing(_mysql(url, url.database)) as link, link.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone() is not None
