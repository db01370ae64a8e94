"""The SQL of the tasks service.

Statements are built once, here, and run by either mode: services call these functions
with a sync `Session`, and async handlers run the same service functions through
`AsyncSession.run_sync`, where every `execute` awaits the async driver.

Every statement names the owner: a task of someone else is never read or written, and
changes are single UPDATEs whose WHERE holds the rule, so concurrent writers cannot
interleave a read and a write.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, false, func, insert, select, true, update
from sqlalchemy.orm import Session

from servicekit.models import UTCDateTime
from servicekit.sessions import read
from tasks_service.models import Task

# In the order of TaskRead's fields.
COLUMNS = (
    Task.id,
    Task.title,
    Task.due_date,
    Task.done,
    Task.created_at,
    Task.updated_at,
    Task.done_at,
)
KEYS = tuple(column.key for column in COLUMNS)

_OWNED = (Task.id == bindparam("task_id"), Task.owner_id == bindparam("owner"))
_NOW = bindparam("now", type_=UTCDateTime())
# No ORM objects are ever loaded, so there is no session state to synchronize.
_NO_SYNC = {"synchronize_session": False}

_by_id = select(*COLUMNS).where(*_OWNED)
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

_page = (
    select(*COLUMNS)
    .where(Task.owner_id == bindparam("owner"))
    .order_by(Task.id)
    .limit(bindparam("limit"))
)
_filtered_page = _page.where(Task.done == bindparam("done"))
_PAGES = {
    # (filtered by done, after a cursor): the statement
    (False, False): _page,
    (False, True): _page.where(Task.id > bindparam("after_id")),
    (True, False): _filtered_page,
    (True, True): _filtered_page.where(Task.id > bindparam("after_id")),
}


_counts = (
    select(Task.done, func.count()).where(Task.owner_id == bindparam("owner")).group_by(Task.done)
)


def counts(session: Session, owner_id: int) -> dict[bool, int]:
    """Tasks of one owner by done: served by the (owner_id, done, id) index alone."""
    rows = read(session, _counts, {"owner": owner_id})
    return {bool(done): count for done, count in rows}


def insert_task(session: Session, values: dict[str, Any]) -> int:
    key = session.connection().execute(_insert, values).inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    return key[0]


def owned_task(session: Session, owner_id: int, task_id: int) -> Row | None:
    return read(session, _by_id, {"owner": owner_id, "task_id": task_id}).one_or_none()


def page(
    session: Session, owner_id: int, *, done: bool | None, limit: int, after_id: int | None
) -> Sequence[Row]:
    params: dict = {"owner": owner_id, "limit": limit}
    if done is not None:
        params["done"] = done
    if after_id is not None:
        params["after_id"] = after_id
    return read(session, _PAGES[done is not None, after_id is not None], params).all()


def update_task(session: Session, owner_id: int, task_id: int, values: dict, now: datetime) -> None:
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
