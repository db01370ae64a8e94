"""The jobs table in the tasks database, the kinds of job and the statuses a job moves
through.

tasks writes a row when a job is submitted and shows it to its submitter; the worker
moves it through queued -> running -> succeeded | failed. The database, not Redis, holds
a job's state: it outlives worker and Redis restarts and stays readable for as long as
the row is kept. The table is tasks' (its migrations create it); tasks copies it into
its own metadata, and the worker uses this one as it is.

A job's kind is the name of the Celery task that runs it: tasks accepts a submission
of each kind (its schemas discriminate on it), the worker names its tasks by them.
"""

from typing import Final, Literal

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text

from servicecontracts.storage import UTCDateTime, shared_metadata

# Each kind once as a type (a submission's `kind`) and once as a value (the task's name);
# the type checker holds the two equal.
DigestKind = Literal["compute.digest"]
DIGEST: Final[DigestKind] = "compute.digest"
UserSummaryKind = Literal["reports.user_summary"]
USER_SUMMARY: Final[UserSummaryKind] = "reports.user_summary"
JobKind = Literal[DigestKind, UserSummaryKind]

JobStatus = Literal["queued", "running", "succeeded", "failed"]
# The statuses of a job that has not ended: the worker may still start it, and the
# submission quota counts it.
UNFINISHED: tuple[JobStatus, ...] = ("queued", "running")

MAX_ERROR_CHARS = 500

jobs = Table(
    "jobs",
    shared_metadata(),
    # A Snowflake id made by the submitting process: known before the row is written,
    # so it doubles as the Celery task id.
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("owner_id", BigInteger, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("result", JSON),
    Column("error", String(MAX_ERROR_CHARS)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("request_id", String(64)),
    # The submitter's access token, for jobs that call other services as the submitter
    # (a report reads the submitter's tasks). Kept only while the job is unfinished, so
    # that a job re-sent after a Redis restart can still use it; the worker clears it.
    Column("submitter_token", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    # "My jobs, newest first" walks this index backwards.
    Index("ix_jobs_owner_id_id", "owner_id", "id"),
    # The worker looks for unfinished jobs to re-send after a Redis restart.
    Index("ix_jobs_status", "status"),
    # A submission counts its owner's unfinished jobs (the quota).
    Index("ix_jobs_owner_id_status", "owner_id", "status"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_unicode_ci",
)
