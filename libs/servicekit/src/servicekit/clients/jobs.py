"""Celery wiring shared by the submitter (tasks) and the executor (worker).

At-least-once delivery: a job's message is acknowledged only after the job has run
(`acks_late`), is given back when the worker process dies (`reject_on_worker_lost`), and
a worker holds one message beyond the one it runs (prefetch 1). Every job must therefore
be idempotent. Jobs are sent by name, so the submitter never imports worker code, and
they carry the submitting request's id in their message headers. What a message holds is
servicecontracts.job_messages'.
"""

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from asgi_correlation_id.context import correlation_id
from celery import Celery, signals

from servicecontracts.job_messages import SUBMITTER_TOKEN_HEADER, JobMessage
from servicekit.core.errors import ServiceUnavailable

# The same header name as on HTTP requests: one name for the id wherever it travels.
from servicekit.observability.request_id import REQUEST_ID_HEADER, current_request_id
from servicekit.observability.tracing import trace_celery

logger = logging.getLogger(__name__)


class QueueUnavailable(ServiceUnavailable):
    title = "Job queue unavailable"
    type = "urn:problem-type:queue-unavailable"


def create_celery(
    name: str,
    broker_url: str,
    *,
    visibility_timeout: int = 600,
    soft_time_limit: int = 120,
    time_limit: int = 180,
    connect_timeout: float = 1.0,
) -> Celery:
    """A Celery app on Redis; job state lives in the submitter's database, not here."""
    if not soft_time_limit < time_limit < visibility_timeout:
        raise ValueError(
            "need soft_time_limit < time_limit < visibility_timeout, or a running job "
            "would be delivered a second time while it still runs"
        )
    trace_celery()
    app = Celery(name, broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_soft_time_limit=soft_time_limit,
        task_time_limit=time_limit,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "socket_timeout": connect_timeout,
            "socket_connect_timeout": connect_timeout,
            # A publisher's connection is tried once: kombu would otherwise retry it
            # after 2 s, and a submission with Redis away would wait that long for its
            # 503. (The worker's consumer reconnects in a loop of its own, unbounded.)
            "max_retries": 0,
        },
        broker_connection_timeout=connect_timeout,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        # After a lost broker connection the running jobs' messages come back anyway;
        # cancelling them lets the restarted consumer take them again at once.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        enable_utc=True,
    )
    return app


def send_job(
    app: Celery, job: JobMessage, *, request_id: str | None = None, retry: bool = False
) -> None:
    """Publishes a job by name with a request id: `request_id`, or the current one.

    Raises `QueueUnavailable` (a 503) at once when Redis does not take the message:
    without `retry`, kombu gives up after one connection attempt.
    """
    request_id = request_id or current_request_id()
    headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
    if job.submitter_token:
        headers[SUBMITTER_TOKEN_HEADER] = job.submitter_token
    try:
        app.send_task(
            job.kind,
            kwargs=dict(job.params),
            task_id=str(job.job_id),
            headers=headers,
            retry=retry,
        )
    except (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError) as error:
        logger.warning("job %s not sent: %s", job.job_id, error)
        raise QueueUnavailable("The job queue is unavailable; nothing was submitted") from None


@signals.task_prerun.connect
def _adopt_request_id(task: Any = None, **_kwargs: Any) -> None:

    # The job's log lines and outbound calls carry the id of the request that sent it.
    correlation_id.set(getattr(task.request, REQUEST_ID_HEADER, None) if task else None)
