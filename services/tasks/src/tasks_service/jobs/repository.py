"""The SQL of jobs (see tasks_service.repository for how statements are run)."""

from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import Session

from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads, Row
from tasks_service.jobs.models import JobSubmitter, jobs_table

SQL = NamedSQL.load(Path(__file__).parent, "queries")

_insert = insert(jobs_table)
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


def insert_job(session: Session, values: dict[str, Any]) -> None:
    session.execute(_insert, values)


def lock_submitter(session: Session, owner_id: int) -> None:
    """Holds the user's submitter row until the transaction ends."""
    session.execute(_lock_submitter[session.get_bind().dialect.name], {"owner_id": owner_id})


def unfinished_jobs(reads: Reads, owner_id: int) -> int:
    return int(reads.value(SQL.unfinished_jobs, owner=owner_id))


def owned_job(reads: Reads, owner_id: int, job_id: int) -> Row | None:
    return reads.row(SQL.owned_job, job_id=job_id, owner=owner_id)


def page(reads: Reads, owner_id: int, *, limit: int, before_id: int | None) -> list[Row]:
    if before_id is None:
        return reads.rows(SQL.jobs_page, owner=owner_id, limit=limit)
    return reads.rows(SQL.jobs_page_before, owner=owner_id, before_id=before_id, limit=limit)
