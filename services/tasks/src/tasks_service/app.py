"""The tasks application, built from settings (tests build it with their own)."""

from fastapi import FastAPI

from servicekit.app import create_app
from tasks_service import endpoints, sync_endpoints
from tasks_service.settings import TasksSettings


def create_tasks_app(settings: TasksSettings) -> FastAPI:
    return create_app(settings, [endpoints.router, sync_endpoints.router], title="tasks")
