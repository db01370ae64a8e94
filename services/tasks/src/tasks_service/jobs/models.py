"""The jobs table: what was submitted, by whom, and how it went.

The database, not Redis, holds a job's state: it outlives worker and Redis restarts and
stays readable for as long as the row is kept. The worker moves a job through
queued -> running -> succeeded | failed.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicekit.models import UTCDateTime
from tasks_service.models import Base

# The statuses of a job that has not ended (the quota counts them).
UNFINISHED = ("queued", "running")


class Job(Base):
    __tablename__ = "jobs"

    # A Snowflake id made by the submitting process: known before the row is written,
    # so it doubles as the Celery task id.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The submitter's access token, for jobs that call other services as the submitter
    # (a report reads the submitter's tasks). Kept only while the job is unfinished, so
    # that a job re-sent after a Redis restart can still use it; the worker clears it.
    submitter_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # "My jobs, newest first" walks this index backwards.
        Index("ix_jobs_owner_id_id", "owner_id", "id"),
        # The worker looks for unfinished jobs to re-send after a Redis restart.
        Index("ix_jobs_status", "status"),
        # A submission counts its owner's unfinished jobs (the quota).
        Index("ix_jobs_owner_id_status", "owner_id", "status"),
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},
    )


class JobSubmitter(Base):
    """A row per user who submitted a job, locked by each submission while it counts the
    user's unfinished jobs: parallel submissions of one user take turns, so none of them
    slips past the quota on a count that another is about to change."""

    __tablename__ = "job_submitters"

    owner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)

    __table_args__ = ({"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},)
