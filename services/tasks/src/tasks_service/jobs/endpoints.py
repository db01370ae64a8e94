"""The jobs API in both modes (servicekit.web.modes). Listing and reading are declared once;
a submission talks to the queue as well as the database, so it is written out per mode.

A submission is written as queued and sent to the queue by name before the request
commits: if Redis does not take it, the request fails with a 503 and the row is rolled
back, so there is never a record of a job nobody will run."""

from fastapi import Response, status
from starlette.concurrency import run_in_threadpool

from servicekit.queries.reads import Reads
from servicekit.web.auth import CurrentUser
from servicekit.web.modes import ASYNC_PREFIX, SYNC_PREFIX, BothModes
from servicekit.web.openapi import problem_responses
from servicekit.web.pagination import DEFAULT_LIMIT, CursorParam, Limit, RowPage
from servicekit.web.responses import json_response
from servicekit.web.sessions import SessionDep, SyncSessionDep
from tasks_service.jobs import service
from tasks_service.jobs.errors import NotYourReport, TooManyJobs
from tasks_service.jobs.params import IdsDep, JobId, JobQueueDep
from tasks_service.jobs.schemas import JobAccepted, JobRead, JobSubmission

api = BothModes()


@api.post(
    "/jobs",
    mode="async",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(NotYourReport, TooManyJobs),
)
async def submit_job(
    principal: CurrentUser,
    body: JobSubmission,
    session: SessionDep,
    queue: JobQueueDep,
    ids: IdsDep,
    response: Response,
) -> JobAccepted:
    """Submit a job; poll its Location for the outcome."""
    job_id = ids.next_id()
    message = await session.run_sync(service.record_job, principal, body, job_id)
    # kombu publishes synchronously: off the event loop.
    await run_in_threadpool(queue.send, message)
    response.headers["Location"] = f"{ASYNC_PREFIX}/jobs/{job_id}"
    return JobAccepted(id=str(job_id), status="queued")


@api.post("/jobs", mode="sync")
def submit_job_sync(
    principal: CurrentUser,
    body: JobSubmission,
    session: SyncSessionDep,
    queue: JobQueueDep,
    ids: IdsDep,
) -> Response:
    job_id = ids.next_id()
    queue.send(service.record_job(session, principal, body, job_id))
    location = {"Location": f"{SYNC_PREFIX}/jobs/{job_id}"}
    accepted = JobAccepted(id=str(job_id), status="queued")
    return json_response(accepted, status.HTTP_202_ACCEPTED, location)


@api.get("/jobs")
def list_jobs(
    principal: CurrentUser,
    reads: Reads,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> RowPage[JobRead]:
    """The caller's jobs, newest first."""
    return service.list_jobs(reads, principal, limit=limit, cursor=cursor)


@api.get("/jobs/{job_id}")
def read_job(principal: CurrentUser, job_id: JobId, reads: Reads) -> JobRead:
    """One of the caller's jobs: its status, and its result or error once it has ended."""
    return service.get_job(reads, principal, job_id)
