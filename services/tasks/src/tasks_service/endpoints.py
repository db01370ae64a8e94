"""The tasks API in async handlers under /api. Handlers hold no SQL and no rules: they
run the service functions through `AsyncSession.run_sync`.

The caller's identity comes first among the parameters: a request without a valid token
is refused before it takes a database connection."""

from fastapi import APIRouter, Response, status

from servicekit.auth import CurrentUser
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.sessions import AsyncSessionDep
from tasks_service import service
from tasks_service.params import DoneFilter, TaskId
from tasks_service.schemas import TaskCreate, TaskRead, TaskSummary, TaskUpdate

router = APIRouter(prefix="/api", tags=["async"])


@router.post("/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(
    principal: CurrentUser, body: TaskCreate, session: AsyncSessionDep, response: Response
) -> TaskRead:
    """Add a task for the caller."""
    task = await session.run_sync(service.create_task, principal, body)
    response.headers["Location"] = f"{router.prefix}/tasks/{task.id}"
    return task


@router.get("/tasks", response_model=Page[TaskRead])
async def list_tasks(
    principal: CurrentUser,
    session: AsyncSessionDep,
    done: DoneFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """The caller's tasks by id, all of them or only the done or the open ones."""
    page = await session.run_sync(
        service.list_tasks, principal, done=done, limit=limit, cursor=cursor
    )
    return page.response()


@router.get("/tasks/summary")
async def summarize_tasks(principal: CurrentUser, session: AsyncSessionDep) -> TaskSummary:
    """How many of the caller's tasks are open and done."""
    return await session.run_sync(service.summarize, principal)


@router.get("/tasks/{task_id}")
async def read_task(principal: CurrentUser, task_id: TaskId, session: AsyncSessionDep) -> TaskRead:
    """One of the caller's tasks."""
    return await session.run_sync(service.get_task, principal, task_id)


@router.patch("/tasks/{task_id}")
async def update_task(
    principal: CurrentUser, task_id: TaskId, body: TaskUpdate, session: AsyncSessionDep
) -> TaskRead:
    """Change the title or the due date of one of the caller's tasks."""
    return await session.run_sync(service.update_task, principal, task_id, body)


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(principal: CurrentUser, task_id: TaskId, session: AsyncSessionDep) -> None:
    """Delete one of the caller's tasks."""
    await session.run_sync(service.delete_task, principal, task_id)


@router.put("/tasks/{task_id}/done")
async def mark_task_done(
    principal: CurrentUser, task_id: TaskId, session: AsyncSessionDep
) -> TaskRead:
    """Mark a task done; a task already done keeps the time it was first marked."""
    return await session.run_sync(service.mark_done, principal, task_id)


@router.delete("/tasks/{task_id}/done")
async def mark_task_undone(
    principal: CurrentUser, task_id: TaskId, session: AsyncSessionDep
) -> TaskRead:
    """Mark a task open again."""
    return await session.run_sync(service.mark_undone, principal, task_id)
