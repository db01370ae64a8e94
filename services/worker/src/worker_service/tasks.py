"""The Celery tasks: thin wrappers, named `<domain>.<verb>`, around the functions in jobs/.

They take ids and primitives only and are idempotent: delivery is at least once.
Submitted jobs (named by their kinds, servicecontracts.jobs) run under their record in
tasks' database (job_runner); the periodic ones are sent by beat. Only transient errors
(a database, Redis or service that is away or slow) are retried.
"""

from datetime import timedelta

import redis
from celery import Celery, Task
from sqlalchemy import exc

from servicecontracts.job_messages import SUBMITTER_TOKEN_HEADER, JobMessage
from servicecontracts.jobs import DIGEST, USER_SUMMARY
from servicecontracts.view_counts import ViewKeys
from servicekit.clients.jobs import send_job
from worker_service.heartbeat import HEARTBEAT_TASK
from worker_service.housekeeping import FLUSH_TASK, RESEND_TASK
from worker_service.job_runner import JobRunner
from worker_service.jobs import digest, reports, views
from worker_service.liveness import touch
from worker_service.lost_jobs import prune_ended_jobs, resend_lost_jobs
from worker_service.resources import Resources

RETRY_TRANSIENT = {
    "autoretry_for": (exc.OperationalError, redis.ConnectionError, redis.TimeoutError),
    "max_retries": 3,
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "retry_jitter": True,
}
# A job found running this much past the hard time limit runs nowhere any more.
STALL_MARGIN = timedelta(seconds=30)


def register_tasks(app: Celery, resources: Resources) -> None:
    settings = resources.settings
    keys = ViewKeys(settings.views_key_prefix)
    retention = timedelta(days=settings.flush_retention_days)
    runner = JobRunner(
        lambda: resources.job_records,
        max_retries=settings.job_max_retries,
        soft_time_limit=settings.soft_time_limit_seconds,
    )

    # A job's run starts when its record lets it (job_runner), not at delivery: the
    # metrics count it then.
    @app.task(name=DIGEST, bind=True, runs_under_record=True)
    def compute_digest(task: Task, data: str, rounds: int) -> str:
        return runner.run(task, lambda: digest.digest(data, rounds))

    @app.task(name=USER_SUMMARY, bind=True, runs_under_record=True)
    def user_summary(task: Task, user_id: int) -> str:
        def work() -> dict[str, object]:
            report = reports.user_summary(
                user_id,
                **resources.services,
                submitter_token=getattr(task.request, SUBMITTER_TOKEN_HEADER, None),
            )
            return resources.loop.run_until_complete(report)

        return runner.run(task, work)

    @app.task(name=FLUSH_TASK, **RETRY_TRANSIENT)
    def flush_item_views() -> dict[str, int]:
        return views.flush_item_views(resources.redis, resources.items_engine, keys, retention)

    @app.task(name=RESEND_TASK)
    def resend_lost() -> dict[str, int]:
        def send(job: JobMessage, request_id: str | None) -> None:
            send_job(app, job, request_id=request_id)

        stalled_after = timedelta(seconds=settings.time_limit_seconds) + STALL_MARGIN
        records = resources.job_records
        return {
            "resent": resend_lost_jobs(records, resources.redis, send, stalled_after=stalled_after),
            "pruned": prune_ended_jobs(
                records, retention=timedelta(days=settings.job_retention_days)
            ),
        }

    @app.task(name=HEARTBEAT_TASK)
    def heartbeat() -> None:
        touch(settings.heartbeat_file)
