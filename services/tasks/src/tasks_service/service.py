"""The rules of the tasks service. Functions take a sync `Session`, never commit, and
raise domain errors; async handlers run them through `AsyncSession.run_sync`.

A caller only ever sees their own tasks: another user's task is answered exactly like
one that does not exist.
"""

from sqlalchemy.orm import Session

from servicekit.models import utcnow
from servicekit.pagination import RowPage
from servicekit.tokens import Principal
from tasks_service import repository
from tasks_service.errors import TaskNotFound
from tasks_service.schemas import TaskCreate, TaskCursor, TaskRead, TaskSummary, TaskUpdate


def create_task(session: Session, principal: Principal, data: TaskCreate) -> TaskRead:
    now = utcnow()
    values = {
        "owner_id": principal.user_id,
        "title": data.title,
        "due_date": data.due_date,
        "done": False,
        "done_at": None,
        "created_at": now,
        "updated_at": now,
    }
    task_id = repository.insert_task(session, values)
    return TaskRead(
        id=task_id,
        title=data.title,
        due_date=data.due_date,
        done=False,
        created_at=now,
        updated_at=now,
        done_at=None,
    )


def get_task(session: Session, principal: Principal, task_id: int) -> TaskRead:
    row = repository.owned_task(session, principal.user_id, task_id)
    if row is None:
        raise TaskNotFound(f"No task with id {task_id}")
    return TaskRead.model_construct(**row._mapping)


def list_tasks(
    session: Session, principal: Principal, *, done: bool | None, limit: int, cursor: str | None
) -> RowPage[TaskRead]:
    # The cursor must come from a page with the same filter.
    after_id = TaskCursor.decode(cursor, done=done).after_id if cursor else None
    # One row more than asked says whether there is a next page.
    rows = repository.page(
        session, principal.user_id, done=done, limit=limit + 1, after_id=after_id
    )
    next_cursor = None
    if len(rows) > limit:
        next_cursor = TaskCursor(done=done, after_id=rows[limit - 1].id).encode()
    # Rows as dicts: a model object per row cost a tenth of the request. The statement's
    # columns are TaskRead's fields, in order.
    keys = repository.KEYS
    items = [dict(zip(keys, row, strict=True)) for row in rows[:limit]]
    return RowPage[TaskRead](items, next_cursor)


def update_task(
    session: Session, principal: Principal, task_id: int, changes: TaskUpdate
) -> TaskRead:
    values = changes.model_dump(include=changes.model_fields_set)
    if values:
        repository.update_task(session, principal.user_id, task_id, values, utcnow())
    return get_task(session, principal, task_id)


def mark_done(session: Session, principal: Principal, task_id: int) -> TaskRead:
    repository.mark_done(session, principal.user_id, task_id, utcnow())
    return get_task(session, principal, task_id)


def mark_undone(session: Session, principal: Principal, task_id: int) -> TaskRead:
    repository.mark_undone(session, principal.user_id, task_id, utcnow())
    return get_task(session, principal, task_id)


def delete_task(session: Session, principal: Principal, task_id: int) -> None:
    if not repository.delete_task(session, principal.user_id, task_id):
        raise TaskNotFound(f"No task with id {task_id}")


def summarize(session: Session, principal: Principal) -> TaskSummary:
    counts = repository.counts(session, principal.user_id)
    return TaskSummary(open=counts.get(False, 0), done=counts.get(True, 0))
