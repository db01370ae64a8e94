"""Runs a submitted job under its record: start it, run it, store its outcome once.

What the submitter reads as a failed job's error is always short: the message of a
`JobFailed`, a time limit, or "gave up" after retries. An unexpected exception is
logged here with its traceback (and the request id) and reported as such, no more.
"""

import logging
from collections.abc import Callable
from typing import Any

import redis
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.dispatch import Signal
from sqlalchemy import exc

from servicekit.clients.http import DependencyUnavailable
from worker_service.job_records import MISSING, RUN, JobRecords
from worker_service.jobs.failures import JobFailed

logger = logging.getLogger(__name__)

# What a later attempt may mend: a database, Redis or service that is away or slow.
TRANSIENT_ERRORS = (
    exc.OperationalError,
    redis.ConnectionError,
    redis.TimeoutError,
    DependencyUnavailable,
)
# The submitter commits its record just after sending the job; a worker that is quicker
# waits this long between looks, up to MISSING_RETRIES times, then drops the message
# (the submission was rolled back).
MISSING_RETRY_SECONDS = 0.5
MISSING_RETRIES = 10

SUCCEEDED = "succeeded"
FAILED = "failed"

# Sent (sender: the task) when a delivery runs its job, that is when its record let it
# start: a redelivery of a job that already ended, or has no record, runs nothing.
# metrics.py counts runs with it.
run_started = Signal(name="job_run_started")


class JobRunner:
    def __init__(
        self,
        records: Callable[[], JobRecords],
        *,
        max_retries: int,
        soft_time_limit: float,
    ):
        self._records = records
        self._max_retries = max_retries
        self._soft_time_limit = soft_time_limit

    def run(self, task: Task, work: Callable[[], Any]) -> str:
        """Runs `work` for the job whose id is the task's; returns the job's status
        after this delivery (or why it did not run)."""
        job_id = _job_id(task.request.id)
        if job_id is None:
            logger.warning("message %s names no job; dropped", task.request.id)
            return MISSING
        try:
            return self._run(task, job_id, work)
        except TRANSIENT_ERRORS as error:
            # Also when the error came before the record could be read: the worker tried
            # to run the job, and a retry or a give-up must end a counted run.
            run_started.send(sender=task)
            if task.request.retries >= self._max_retries:
                return self._fail(
                    job_id, f"gave up after {task.request.retries + 1} tries: {_describe(error)}"
                )
            logger.warning("job %s will be retried: %s", job_id, _describe(error))
            countdown = 2 ** (task.request.retries + 1)
            raise task.retry(countdown=countdown, max_retries=self._max_retries) from error

    def _run(self, task: Task, job_id: int, work: Callable[[], Any]) -> str:
        outcome = self._records().start(job_id)
        if outcome == MISSING:
            if task.request.retries < MISSING_RETRIES:
                raise task.retry(countdown=MISSING_RETRY_SECONDS, max_retries=MISSING_RETRIES)
            logger.warning("job %s has no record; its submission was undone; dropped", job_id)
            return MISSING
        if outcome != RUN:
            logger.info("job %s already %s; not run again", job_id, outcome)
            return f"already {outcome}"
        run_started.send(sender=task)
        try:
            result = work()
        except JobFailed as error:
            return self._fail(job_id, str(error))
        except SoftTimeLimitExceeded:
            return self._fail(job_id, f"the job ran longer than {self._soft_time_limit:g} s")
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            logger.exception("job %s failed unexpectedly", job_id)
            return self._fail(job_id, "the job failed unexpectedly")
        self._records().succeed(job_id, result)
        return SUCCEEDED

    def _fail(self, job_id: int, error: str) -> str:
        logger.info("job %s failed: %s", job_id, error)
        self._records().fail(job_id, error)
        return FAILED


def _job_id(task_id: str | None) -> int | None:
    return int(task_id) if task_id and task_id.isdigit() else None


def _describe(error: Exception) -> str:
    if isinstance(error, DependencyUnavailable):
        return str(error)
    if isinstance(error, exc.OperationalError):
        return "a database is unavailable"
    return "Redis is unavailable"
