"""Settings of the tasks service."""

from servicekit.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    service_name: str = "tasks"
