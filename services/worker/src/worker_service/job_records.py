"""Job records in the tasks database: the worker moves a submitted job from queued to
running to succeeded or failed, and tasks shows them to the submitter.

Delivery is at least once, so every transition is a single guarded UPDATE: a job that
already ended is never run again, and a result is stored once whatever the number of
deliveries (a worker killed half way, a message sent twice).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update

from servicecontracts.job_messages import JobMessage
from servicecontracts.jobs import MAX_ERROR_CHARS, UNFINISHED, jobs
from servicekit.db.models import utcnow

logger = logging.getLogger(__name__)

RUN = "run"
MISSING = "missing"


@dataclass(frozen=True)
class UnfinishedJob:
    message: JobMessage
    request_id: str | None


class JobRecords:
    def __init__(self, engine: Engine, *, max_attempts: int):
        self._engine = engine
        self._max_attempts = max_attempts

    def start(self, job_id: int) -> str:
        """RUN when this delivery should run the job; otherwise why not: the job already
        ended ("succeeded"/"failed"), or its row is not there (yet) ("missing").

        A job started `max_attempts` times without ending (its worker killed each time,
        by the OOM killer or the hard time limit) is failed instead of started again.
        """
        with self._engine.begin() as connection:
            started = connection.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.status.in_(UNFINISHED),
                    jobs.c.attempts < self._max_attempts,
                )
                .values(status="running", attempts=jobs.c.attempts + 1, started_at=utcnow())
            ).rowcount
            if started:
                return RUN
            status = connection.execute(
                select(jobs.c.status).where(jobs.c.id == job_id)
            ).scalar_one_or_none()
        if status in UNFINISHED:
            self.fail(job_id, f"the job was started {self._max_attempts} times and never ended")
            return "failed"
        return status or MISSING

    def succeed(self, job_id: int, result: Any) -> None:
        self._finish(job_id, status="succeeded", result=result, error=None)

    def fail(self, job_id: int, error: str) -> None:
        self._finish(job_id, status="failed", result=None, error=error[:MAX_ERROR_CHARS])

    def _finish(self, job_id: int, **values: Any) -> None:
        with self._engine.begin() as connection:
            finished = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status.in_(UNFINISHED))
                # An ended job needs the submitter's token no more.
                .values(**values, submitter_token=None, finished_at=utcnow())
            ).rowcount
        if not finished:
            logger.info("job %s had already ended; its outcome stays as it was", job_id)

    def unfinished(self, *, started_before: datetime | None = None) -> Sequence[UnfinishedJob]:
        """Unfinished jobs, oldest first; with `started_before`, only those running since
        before then."""
        query = select(
            jobs.c.id, jobs.c.kind, jobs.c.params, jobs.c.submitter_token, jobs.c.request_id
        ).order_by(jobs.c.id)
        if started_before is None:
            query = query.where(jobs.c.status.in_(UNFINISHED))
        else:
            query = query.where(jobs.c.status == "running", jobs.c.started_at < started_before)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            UnfinishedJob(
                JobMessage(row.id, row.kind, row.params, row.submitter_token), row.request_id
            )
            for row in rows
        ]

    def dispose(self) -> None:
        self._engine.dispose()

    def prune(self, *, ended_before: datetime, batch: int = 1000) -> int:
        """Deletes up to `batch` jobs that ended before then; returns how many."""
        with self._engine.begin() as connection:
            ids = (
                connection.execute(
                    select(jobs.c.id).where(jobs.c.finished_at < ended_before).limit(batch)
                )
                .scalars()
                .all()
            )
            if ids:
                connection.execute(delete(jobs).where(jobs.c.id.in_(ids)))
        return len(ids)
