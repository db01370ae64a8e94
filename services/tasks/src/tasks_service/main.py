"""The ASGI entry point: `uvicorn tasks_service.main:app`."""

from servicekit.core.settings import load_settings
from tasks_service.app import create_tasks_app
from tasks_service.settings import TasksSettings

app = create_tasks_app(load_settings(TasksSettings))
