"""The rules of jobs: who may submit what, and who may see it."""

import orjson
from sqlalchemy.orm import Session

from servicecontracts.job_messages import JobMessage
from servicekit.db.models import utcnow
from servicekit.observability.request_id import current_request_id
from servicekit.queries.reads import Reads, Row, reads_of
from servicekit.security.tokens import Principal
from servicekit.web.pagination import RowPage
from tasks_service.jobs import repository
from tasks_service.jobs.errors import JobNotFound, NotYourReport, TooManyJobs
from tasks_service.jobs.schemas import JobCursor, JobRead, JobSubmission, ReportJob

# Queued or running jobs one user may have: beyond it a submission is a 429. It bounds
# the work one account can put ahead of everyone else's (each job at most 180 s).
MAX_UNFINISHED_JOBS = 20


def record_job(
    session: Session, principal: Principal, job: JobSubmission, job_id: int
) -> JobMessage:
    """Writes the job as queued and returns the message that runs it. The caller sends
    the message before the request commits, so a job that could not be sent leaves no
    row behind."""
    if isinstance(job, ReportJob) and job.params.user_id != principal.user_id:
        # A summary holds the user's own task counts.
        raise NotYourReport("A report can only be about your own account")
    # The lock makes a user's parallel submissions count one after another.
    repository.lock_submitter(session, principal.user_id)
    if repository.unfinished_jobs(reads_of(session), principal.user_id) >= MAX_UNFINISHED_JOBS:
        raise TooManyJobs(
            f"You have {MAX_UNFINISHED_JOBS} unfinished jobs; submit more once some have ended",
            retry_after=10,
        )
    token = principal.token if job.acts_as_submitter else None
    params = job.params.model_dump()
    repository.insert_job(
        session,
        {
            "id": job_id,
            "owner_id": principal.user_id,
            "kind": job.kind,
            "params": params,
            "status": "queued",
            "attempts": 0,
            "request_id": current_request_id(),
            "submitter_token": token,
            "created_at": utcnow(),
        },
    )
    return JobMessage(job_id, job.kind, params, token)


def get_job(reads: Reads, principal: Principal, job_id: int) -> JobRead:
    row = repository.owned_job(reads, principal.user_id, job_id)
    if row is None:
        raise JobNotFound(f"No job with id {job_id}")
    return JobRead.model_construct(**_as_read(row))


def list_jobs(
    reads: Reads, principal: Principal, *, limit: int, cursor: str | None
) -> RowPage[JobRead]:
    before_id = JobCursor.decode(cursor).before_id if cursor else None
    page = RowPage[JobRead].fetch(
        limit,
        lambda count: repository.page(reads, principal.user_id, limit=count, before_id=before_id),
        lambda last: JobCursor(before_id=last["id"]).encode(),
    )
    for row in page.items:
        _as_read(row)
    return page


def _as_read(row: Row) -> Row:
    """The row with JobRead's values: the id as a string, the result parsed (it comes
    as its JSON text, queries.sql says why)."""
    row["id"] = str(row["id"])
    if row["result"] is not None:
        row["result"] = orjson.loads(row["result"])
    return row
