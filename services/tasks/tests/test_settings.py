"""Settings of the tasks service: no start without a database or the token key."""

import pytest
from pydantic import ValidationError

from tasks_service.settings import TasksSettings


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "JWT_PUBLIC_KEY", "SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)


def test_postgres_or_mysql_is_only_a_database_url_away(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/tasks")

    settings = TasksSettings(jwt_public_key=jwt_public_key)

    assert settings.service_name == "tasks"
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/tasks"


def test_refuses_to_start_without_the_token_key() -> None:
    with pytest.raises(ValidationError, match="jwt_public_key"):
        TasksSettings(database_url="mysql://root@127.0.0.1:3306/tasks")


def test_refuses_to_start_without_a_database() -> None:
    with pytest.raises(ValidationError, match="database_url"):
        TasksSettings(jwt_public_key="a key")
