"""The SQL of jobs (see tasks_service.repository for how statements are run)."""

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, func, insert, select
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import Session

from servicecontracts.jobs import UNFINISHED
from servicekit.sessions import read
from tasks_service.jobs.models import Job, JobSubmitter

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
_unfinished = select(func.count()).where(
    Job.owner_id == bindparam("owner"), Job.status.in_(UNFINISHED)
)
# Writing the user's submitter row, made on first use, locks it until the transaction
# ends (an upsert that always touches the row: InnoDB's INSERT IGNORE plus SELECT ... FOR
# UPDATE would take a shared lock first, and two submissions could deadlock).
_pg_upsert = postgresql.insert(JobSubmitter)
_mysql_upsert = mysql.insert(JobSubmitter)
_lock_submitter = {
    "postgresql": _pg_upsert.on_conflict_do_update(
        index_elements=[JobSubmitter.owner_id], set_={"owner_id": _pg_upsert.excluded.owner_id}
    ),
    "mysql": _mysql_upsert.on_duplicate_key_update(owner_id=_mysql_upsert.inserted.owner_id),
}


def insert_job(session: Session, values: dict) -> None:
    session.execute(_insert, values)


def lock_submitter(session: Session, owner_id: int) -> None:
    """Holds the user's submitter row until the transaction ends."""
    session.execute(_lock_submitter[session.get_bind().dialect.name], {"owner_id": owner_id})


def unfinished_jobs(session: Session, owner_id: int) -> int:
    return session.execute(_unfinished, {"owner": owner_id}).scalar_one()


def owned_job(session: Session, owner_id: int, job_id: int) -> Row | None:
    return read(session, _owned, {"owner": owner_id, "job_id": job_id}).one_or_none()


def page(session: Session, owner_id: int, *, limit: int, before_id: int | None) -> Sequence[Row]:
    if before_id is None:
        return read(session, _page, {"owner": owner_id, "limit": limit}).all()
    params = {"owner": owner_id, "limit": limit, "before_id": before_id}
    return read(session, _page_before, params).all()
