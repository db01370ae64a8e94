"""The tasks API, each operation declared once for both modes (servicekit.web.modes):
`async def` under /api, `def` under /sync/api. Handlers hold no SQL and no rules: they
call the service functions.

The caller's identity comes first among the parameters: a request without a valid token
is refused before it takes a database connection."""

from fastapi import status
from sqlalchemy.orm import Session

from servicecontracts.reports import TaskSummary
from servicekit.queries.reads import Reads
from servicekit.web.auth import CurrentUser
from servicekit.web.modes import BothModes
from servicekit.web.pagination import DEFAULT_LIMIT, CursorParam, Limit, RowPage
from tasks_service import service
from tasks_service.params import DoneFilter, TaskId
from tasks_service.schemas import TaskCreate, TaskRead, TaskUpdate

api = BothModes()


@api.post("/tasks", status_code=status.HTTP_201_CREATED, location="/tasks/{id}")
def create_task(principal: CurrentUser, body: TaskCreate, session: Session) -> TaskRead:
    """Add a task for the caller."""
    return service.create_task(session, principal, body)


@api.get("/tasks")
def list_tasks(
    principal: CurrentUser,
    reads: Reads,
    done: DoneFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> RowPage[TaskRead]:
    """The caller's tasks by id, all of them or only the done or the open ones."""
    return service.list_tasks(reads, principal, done=done, limit=limit, cursor=cursor)


@api.get("/tasks/summary")
def summarize_tasks(principal: CurrentUser, reads: Reads) -> TaskSummary:
    """How many of the caller's tasks are open and done."""
    return service.summarize(reads, principal)


@api.get("/tasks/{task_id}")
def read_task(principal: CurrentUser, task_id: TaskId, reads: Reads) -> TaskRead:
    """One of the caller's tasks."""
    return service.get_task(reads, principal, task_id)


@api.patch("/tasks/{task_id}")
def update_task(
    principal: CurrentUser, task_id: TaskId, body: TaskUpdate, session: Session
) -> TaskRead:
    """Change the title or the due date of one of the caller's tasks."""
    return service.update_task(session, principal, task_id, body)


@api.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task(principal: CurrentUser, task_id: TaskId, session: Session) -> None:
    """Delete one of the caller's tasks."""
    service.delete_task(session, principal, task_id)


@api.put("/tasks/{task_id}/done")
def mark_task_done(principal: CurrentUser, task_id: TaskId, session: Session) -> TaskRead:
    """Mark a task done; a task already done keeps the time it was first marked."""
    return service.mark_done(session, principal, task_id)


@api.delete("/tasks/{task_id}/done")
def mark_task_undone(principal: CurrentUser, task_id: TaskId, session: Session) -> TaskRead:
    """Mark a task open again."""
    return service.mark_undone(session, principal, task_id)
