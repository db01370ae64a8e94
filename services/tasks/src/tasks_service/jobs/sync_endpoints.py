"""The jobs API in sync handlers under /sync/api: the contract of endpoints.py; handlers
return serialized responses (servicekit.responses says why)."""

from fastapi import APIRouter, Response, status

from servicekit.auth import CurrentUser
from servicekit.openapi import problem_responses
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.responses import json_response
from servicekit.sessions import SessionDep
from tasks_service.jobs import service
from tasks_service.jobs.errors import NotYourReport, TooManyJobs
from tasks_service.jobs.params import IdsDep, JobId, JobQueueDep
from tasks_service.jobs.schemas import JobAccepted, JobRead, JobSubmission

router = APIRouter(prefix="/sync/api", tags=["sync"])


@router.post(
    "/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=problem_responses(NotYourReport, TooManyJobs),
)
def submit_job(
    principal: CurrentUser,
    body: JobSubmission,
    session: SessionDep,
    queue: JobQueueDep,
    ids: IdsDep,
) -> Response:
    """Submit a job; poll its Location for the outcome."""
    job_id = ids.next_id()
    queue.send(service.record_job(session, principal, body, job_id))
    location = {"Location": f"{router.prefix}/jobs/{job_id}"}
    accepted = JobAccepted(id=str(job_id), status="queued")
    return json_response(accepted, status.HTTP_202_ACCEPTED, location)


@router.get("/jobs", response_model=Page[JobRead])
def list_jobs(
    principal: CurrentUser,
    session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """The caller's jobs, newest first."""
    return service.list_jobs(session, principal, limit=limit, cursor=cursor).response()


@router.get("/jobs/{job_id}", response_model=JobRead)
def read_job(principal: CurrentUser, job_id: JobId, session: SessionDep) -> Response:
    """One of the caller's jobs: its status, and its result or error once it has ended."""
    return json_response(service.get_job(session, principal, job_id))
