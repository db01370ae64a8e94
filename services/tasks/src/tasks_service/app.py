"""The tasks application, built from settings (tests build it with their own)."""

from pathlib import Path

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from servicekit.app import create_app
from servicekit.jobs import create_celery
from tasks_service import endpoints
from tasks_service.jobs import endpoints as job_endpoints
from tasks_service.jobs.queue import JobQueue
from tasks_service.settings import TasksSettings

# services/tasks/alembic.ini: the migrations /readyz waits for.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def create_tasks_app(settings: TasksSettings) -> FastAPI:
    def resources(settings: TasksSettings, metrics: CollectorRegistry | None) -> dict[str, object]:
        # A short connect timeout: a submission with Redis away must fail within a second.
        celery = create_celery("tasks", settings.redis_url, connect_timeout=0.5)
        return {"job_queue": JobQueue(celery, settings.service_name, metrics)}

    return create_app(
        settings,
        [*endpoints.api.routers, *job_endpoints.api.routers],
        title="tasks",
        resources=resources,
        migrations=ALEMBIC_INI,
    )
