"""The jobs API in async handlers under /api.

A submission is written as queued and sent to the queue by name before the request
commits: if Redis does not take it, the request fails with a 503 and the row is rolled
back, so there is never a record of a job nobody will run."""

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from servicekit.auth import CurrentUser
from servicekit.openapi import problem_responses
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.sessions import AsyncSessionDep
from tasks_service.jobs import service
from tasks_service.jobs.errors import NotYourReport, TooManyJobs
from tasks_service.jobs.params import IdsDep, JobId, JobQueueDep
from tasks_service.jobs.schemas import JobAccepted, JobRead, JobSubmission

router = APIRouter(prefix="/api", tags=["async"])


@router.post(
    "/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(NotYourReport, TooManyJobs),
)
async def submit_job(
    principal: CurrentUser,
    body: JobSubmission,
    session: AsyncSessionDep,
    queue: JobQueueDep,
    ids: IdsDep,
    response: Response,
) -> JobAccepted:
    """Submit a job; poll its Location for the outcome."""
    job_id = ids.next_id()
    message = await session.run_sync(service.record_job, principal, body, job_id)
    # kombu publishes synchronously: off the event loop.
    await run_in_threadpool(queue.send, message)
    response.headers["Location"] = f"{router.prefix}/jobs/{job_id}"
    return JobAccepted(id=str(job_id), status="queued")


@router.get("/jobs", response_model=Page[JobRead])
async def list_jobs(
    principal: CurrentUser,
    session: AsyncSessionDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """The caller's jobs, newest first."""
    page = await session.run_sync(service.list_jobs, principal, limit=limit, cursor=cursor)
    return page.response()


@router.get("/jobs/{job_id}")
async def read_job(principal: CurrentUser, job_id: JobId, session: AsyncSessionDep) -> JobRead:
    """One of the caller's jobs: its status, and its result or error once it has ended."""
    return await session.run_sync(service.get_job, principal, job_id)
