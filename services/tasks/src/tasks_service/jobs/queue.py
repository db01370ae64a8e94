"""The job queue as tasks uses it: jobs sent by name, and counted as they go."""

from typing import get_args

from celery import Celery
from prometheus_client import CollectorRegistry, Counter

from servicecontracts.job_messages import JobMessage
from servicekit.clients.jobs import send_job
from tasks_service.jobs.schemas import JobSubmission


def submittable_kinds() -> list[str]:
    union = get_args(JobSubmission)[0]
    return [get_args(job.model_fields["kind"].annotation)[0] for job in get_args(union)]


class JobQueue:
    def __init__(self, celery: Celery, service: str, registry: CollectorRegistry | None):
        self.celery = celery
        self._enqueued = None
        if registry is not None:
            counter = Counter(
                "jobs_enqueued_total",
                "Jobs sent to the queue",
                ("service", "kind"),
                registry=registry,
            )
            # Every kind from 0: a rate reads 0, not "no data", before the first job.
            self._enqueued = {kind: counter.labels(service, kind) for kind in submittable_kinds()}

    def send(self, job: JobMessage) -> None:
        """Publishes the job (servicekit.clients.jobs.send_job: a 503 when Redis is away)."""
        send_job(self.celery, job)
        if self._enqueued is not None:
            self._enqueued[job.kind].inc()
