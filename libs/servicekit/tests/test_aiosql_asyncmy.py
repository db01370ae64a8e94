"""The asyncmy adapter through aiosql's own `Queries`, on a real MariaDB: every operation
aiosql names, with repeated parameters, a literal percent sign and a colon in a string."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiosql
import asyncmy
import pytest
from sqlalchemy.engine import make_url

import servicekit.queries.named_sql  # noqa: F401  (registers the adapter)

if TYPE_CHECKING:
    from .conftest import ScratchDatabases

QUERIES = """
-- name: create_notes#
CREATE TABLE IF NOT EXISTS adapter_notes (
    id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(64) NOT NULL, tag VARCHAR(16)
);

-- name: add_note(body, tag)!
INSERT INTO adapter_notes (body, tag) VALUES (:body, :tag);

-- name: add_notes*!
INSERT INTO adapter_notes (body, tag) VALUES (:body, :tag);

-- name: add_returning(body)<!
INSERT INTO adapter_notes (body) VALUES (:body) RETURNING id;

-- name: notes_tagged(tag)
SELECT body FROM adapter_notes WHERE tag = :tag OR (tag IS NULL AND :tag = 'none') ORDER BY id;

-- name: note(body)^
SELECT id, body, '10:30 at 100%' AS said FROM adapter_notes WHERE body = :body;

-- name: counted(tag)$
SELECT COUNT(*) FROM adapter_notes WHERE tag = :tag;

-- name: retag(old, new)!
UPDATE adapter_notes SET tag = :new WHERE tag = :old;

-- name: drop_notes#
DROP TABLE adapter_notes;
"""


async def connect(scratch_databases: "ScratchDatabases", **options: object) -> asyncmy.Connection:
    url = make_url(scratch_databases.url("mysql"))
    return await asyncmy.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=url.database,
        **options,
    )


@pytest.fixture
async def connection(scratch_databases: "ScratchDatabases") -> AsyncIterator[asyncmy.Connection]:
    connection = await connect(scratch_databases, autocommit=True)
    queries = aiosql.from_str(QUERIES, "asyncmy")
    await queries.create_notes(connection)
    try:
        yield connection
    finally:
        await queries.drop_notes(connection)
        connection.close()


async def test_every_operation_runs_on_asyncmy(connection: asyncmy.Connection) -> None:
    queries = aiosql.from_str(QUERIES, "asyncmy")
    assert await queries.add_note(connection, body="a", tag="x") == 1
    assert await queries.add_notes(connection, [{"body": "b", "tag": "x"}, ("c", "y")]) == 2
    new_id = await queries.add_returning(connection, body="d")
    assert isinstance(new_id, int)
    assert [row async for row in queries.notes_tagged(connection, tag="x")] == [("a",), ("b",)]
    # :tag twice: asyncmy's positional markers repeat it.
    assert [row async for row in queries.notes_tagged(connection, tag="none")] == [("d",)]
    assert await queries.note(connection, body="c") == (3, "c", "10:30 at 100%")
    assert await queries.note(connection, body="nothing") is None
    assert await queries.counted(connection, tag="x") == 2
    assert await queries.retag(connection, old="x", new="z") == 2
    assert await queries.counted(connection, tag="z") == 2


async def test_a_query_runs_as_a_prepared_statement_when_the_connection_caches_them(
    scratch_databases: "ScratchDatabases",
) -> None:
    # The reason for positional markers: asyncmy prepares `%s` queries only.
    connection = await connect(scratch_databases, stmt_cache_size=4)
    queries = aiosql.from_str("-- name: twice(n)$\nSELECT :n + :n;\n", "asyncmy")
    try:
        assert await queries.twice(connection, n=21) == 42
        cursor = connection.cursor()
        await cursor.execute("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'")
        assert int((await cursor.fetchone())[1]) == 1
    finally:
        connection.close()
