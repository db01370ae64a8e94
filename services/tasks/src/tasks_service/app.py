"""The tasks application, built from settings (tests build it with their own)."""

from pathlib import Path

from fastapi import FastAPI

from servicekit.app import create_app
from tasks_service import endpoints
from tasks_service.jobs import endpoints as job_endpoints
from tasks_service.resources import open_resources
from tasks_service.settings import TasksSettings

# services/tasks/alembic.ini: the migrations /readyz waits for.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def create_tasks_app(settings: TasksSettings) -> FastAPI:
    return create_app(
        settings,
        [*endpoints.api.routers, *job_endpoints.api.routers],
        title="tasks",
        resources=open_resources,
        migrations=ALEMBIC_INI,
    )
