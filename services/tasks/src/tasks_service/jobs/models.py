"""The jobs table (servicecontracts.jobs) as tasks maps it, and the submitters' lock rows
of the job quota."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from servicecontracts.jobs import jobs
from tasks_service.models import Base


class Job(Base):
    # The worker writes this table too: its one definition is the contract's, copied
    # into tasks' metadata so that migrations see it beside tasks' other tables.
    __table__ = jobs.to_metadata(Base.metadata)

    id: Mapped[int]
    owner_id: Mapped[int]
    kind: Mapped[str]
    params: Mapped[dict[str, Any]]
    status: Mapped[str]
    result: Mapped[Any | None]
    error: Mapped[str | None]
    attempts: Mapped[int]
    request_id: Mapped[str | None]
    submitter_token: Mapped[str | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class JobSubmitter(Base):
    """A row per user who submitted a job, locked by each submission while it counts the
    user's unfinished jobs: parallel submissions of one user take turns, so none of them
    slips past the quota on a count that another is about to change."""

    __tablename__ = "job_submitters"

    owner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)

    __table_args__ = ({"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},)
