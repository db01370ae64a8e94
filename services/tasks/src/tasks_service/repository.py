"""The SQL of the tasks service.

Reads are named queries in queries.sql (servicekit.queries.named_sql), run on the driver's
connection in either mode (servicekit.queries.reads). Writes are SQLAlchemy statements built
once, here, run on a sync `Session`, which async handlers run through
`AsyncSession.run_sync`.

Every statement names the owner: a task of someone else is never read or written, and
changes are single UPDATEs whose WHERE holds the rule, so concurrent writers cannot
interleave a read and a write.
"""

from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import bindparam, delete, false, insert, true, update
from sqlalchemy.orm import Session

from servicekit.db.models import UTCDateTime
from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads, Row
from tasks_service.models import Task

SQL = NamedSQL.load(Path(__file__).parent, "queries")

_OWNED = (Task.id == bindparam("task_id"), Task.owner_id == bindparam("owner"))
_NOW = bindparam("now", type_=UTCDateTime())
# No ORM objects are ever loaded, so there is no session state to synchronize.
_NO_SYNC = {"synchronize_session": False}

# Run on the session's connection, as Core: the new primary key is reported on both
# servers (the session would take it for an ORM bulk insert, which reports none).
_insert = insert(Task)
_delete = delete(Task).where(*_OWNED).execution_options(**_NO_SYNC)
# `done = false` in the WHERE makes a second PUT match nothing: done_at keeps its first
# value, and of concurrent PUTs exactly one writes.
_mark_done = (
    update(Task)
    .where(*_OWNED, Task.done == false())
    .values(done=True, done_at=_NOW, updated_at=_NOW)
    .execution_options(**_NO_SYNC)
)
_mark_undone = (
    update(Task)
    .where(*_OWNED, Task.done == true())
    .values(done=False, done_at=None, updated_at=_NOW)
    .execution_options(**_NO_SYNC)
)


def counts(reads: Reads, owner_id: int) -> dict[bool, int]:
    """Tasks of one owner by done."""
    return {row["done"]: row["tasks"] for row in reads.rows(SQL.task_counts, owner=owner_id)}


def insert_task(session: Session, values: dict[str, Any]) -> int:
    key = session.connection().execute(_insert, values).inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    return cast(int, key[0])  # a Row's items are untyped; this one is the BIGINT id


def owned_task(reads: Reads, owner_id: int, task_id: int) -> Row | None:
    return reads.row(SQL.owned_task, task_id=task_id, owner=owner_id)


def page(
    reads: Reads, owner_id: int, *, done: bool | None, limit: int, after_id: int | None
) -> list[Row]:
    if done is None:
        if after_id is None:
            return reads.rows(SQL.tasks_page, owner=owner_id, limit=limit)
        return reads.rows(SQL.tasks_page_after, owner=owner_id, after_id=after_id, limit=limit)
    if after_id is None:
        return reads.rows(SQL.tasks_by_done, owner=owner_id, done=done, limit=limit)
    return reads.rows(
        SQL.tasks_by_done_after, owner=owner_id, done=done, after_id=after_id, limit=limit
    )


def update_task(
    session: Session, owner_id: int, task_id: int, values: dict[str, Any], now: datetime
) -> None:
    statement = (
        update(Task)
        .where(Task.id == task_id, Task.owner_id == owner_id)
        .values(**values, updated_at=now)
        .execution_options(**_NO_SYNC)
    )
    session.execute(statement)


def mark_done(session: Session, owner_id: int, task_id: int, now: datetime) -> None:
    session.execute(_mark_done, {"owner": owner_id, "task_id": task_id, "now": now})


def mark_undone(session: Session, owner_id: int, task_id: int, now: datetime) -> None:
    session.execute(_mark_undone, {"owner": owner_id, "task_id": task_id, "now": now})


def delete_task(session: Session, owner_id: int, task_id: int) -> bool:
    # On the connection: its CursorResult has the rowcount (the same SQL as the session's).
    result = session.connection().execute(_delete, {"owner": owner_id, "task_id": task_id})
    return result.rowcount == 1
