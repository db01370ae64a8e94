"""Settings of the tasks service."""

from servicekit.core.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    service_name: str = "tasks"
