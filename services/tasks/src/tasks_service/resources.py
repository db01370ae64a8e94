"""The long-lived objects tasks holds besides servicekit's: made once at start-up."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from servicekit.clients.jobs import create_celery
from tasks_service.jobs.queue import JobQueue
from tasks_service.settings import TasksSettings


@dataclass(slots=True)
class TasksResources:
    job_queue: JobQueue


def open_resources(settings: TasksSettings, metrics: CollectorRegistry | None) -> TasksResources:
    # A short connect timeout: a submission with Redis away must fail within a second.
    celery = create_celery("tasks", settings.redis_url, connect_timeout=0.5)
    return TasksResources(JobQueue(celery, settings.service_name, metrics))
