"""The SQL of jobs (see tasks_service.repository for how statements are run)."""

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.orm import Session

from tasks_service.jobs.models import Job

COLUMNS = (Job.id, Job.kind, Job.status, Job.result, Job.error, Job.created_at, Job.finished_at)

_insert = insert(Job.__table__)
_owned = select(*COLUMNS).where(Job.id == bindparam("job_id"), Job.owner_id == bindparam("owner"))
_page = (
    select(*COLUMNS)
    .where(Job.owner_id == bindparam("owner"))
    .order_by(Job.id.desc())
    .limit(bindparam("limit"))
)
_page_before = _page.where(Job.id < bindparam("before_id"))


def insert_job(session: Session, values: dict) -> None:
    session.execute(_insert, values)


def owned_job(session: Session, owner_id: int, job_id: int) -> Row | None:
    return session.execute(_owned, {"owner": owner_id, "job_id": job_id}).one_or_none()


def page(session: Session, owner_id: int, *, limit: int, before_id: int | None) -> Sequence[Row]:
    if before_id is None:
        return session.execute(_page, {"owner": owner_id, "limit": limit}).all()
    params = {"owner": owner_id, "limit": limit, "before_id": before_id}
    return session.execute(_page_before, params).all()
