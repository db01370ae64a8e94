"""The tasks API in sync handlers under /sync/api: the same contract as endpoints.py,
in `def` handlers that FastAPI runs in its thread pool with a sync `Session`.

Handlers return their response serialized (`json_response`), never a bare model:
servicekit.responses says why (a deadlock under load otherwise)."""

from fastapi import APIRouter, Response, status

from servicekit.auth import CurrentUser
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.responses import json_response, no_content
from servicekit.sessions import SessionDep
from tasks_service import service
from tasks_service.params import DoneFilter, TaskId
from tasks_service.schemas import TaskCreate, TaskRead, TaskSummary, TaskUpdate

router = APIRouter(prefix="/sync/api", tags=["sync"])


@router.post("/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskRead)
def create_task(principal: CurrentUser, body: TaskCreate, session: SessionDep) -> Response:
    """Add a task for the caller."""
    task = service.create_task(session, principal, body)
    location = f"{router.prefix}/tasks/{task.id}"
    return json_response(task, status.HTTP_201_CREATED, {"Location": location})


@router.get("/tasks", response_model=Page[TaskRead])
def list_tasks(
    principal: CurrentUser,
    session: SessionDep,
    done: DoneFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """The caller's tasks by id, all of them or only the done or the open ones."""
    page = service.list_tasks(session, principal, done=done, limit=limit, cursor=cursor)
    return page.response()


@router.get("/tasks/summary", response_model=TaskSummary)
def summarize_tasks(principal: CurrentUser, session: SessionDep) -> Response:
    """How many of the caller's tasks are open and done."""
    return json_response(service.summarize(session, principal))


@router.get("/tasks/{task_id}", response_model=TaskRead)
def read_task(principal: CurrentUser, task_id: TaskId, session: SessionDep) -> Response:
    """One of the caller's tasks."""
    return json_response(service.get_task(session, principal, task_id))


@router.patch("/tasks/{task_id}", response_model=TaskRead)
def update_task(
    principal: CurrentUser, task_id: TaskId, body: TaskUpdate, session: SessionDep
) -> Response:
    """Change the title or the due date of one of the caller's tasks."""
    return json_response(service.update_task(session, principal, task_id, body))


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task(principal: CurrentUser, task_id: TaskId, session: SessionDep) -> Response:
    """Delete one of the caller's tasks."""
    service.delete_task(session, principal, task_id)
    return no_content()


@router.put("/tasks/{task_id}/done", response_model=TaskRead)
def mark_task_done(principal: CurrentUser, task_id: TaskId, session: SessionDep) -> Response:
    """Mark a task done; a task already done keeps the time it was first marked."""
    return json_response(service.mark_done(session, principal, task_id))


@router.delete("/tasks/{task_id}/done", response_model=TaskRead)
def mark_task_undone(principal: CurrentUser, task_id: TaskId, session: SessionDep) -> Response:
    """Mark a task open again."""
    return json_response(service.mark_undone(session, principal, task_id))
