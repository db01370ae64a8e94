"""Settings of the tasks service."""

from servicekit.settings import ServiceSettings

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/tasks"


class TasksSettings(ServiceSettings):
    service_name: str = "tasks"
    database_url: str = DEFAULT_DATABASE_URL
    # Every tasks route needs the caller's identity: without the key that verifies tokens
    # the service must not start (it would answer each request with a 500).
    jwt_public_key: str
