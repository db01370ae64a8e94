"""The migrations build exactly the tables the models describe, and undo cleanly."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import tasks_service.jobs.models  # noqa: F401 (registers the jobs table on Base)
from servicekit.db.engines import sync_url
from tasks_service.models import Base


def differences(database_url: str) -> list[Any]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            result: list[Any] = compare_metadata(context, Base.metadata)
            return result
    finally:
        engine.dispose()


def tables(database_url: str) -> set[str]:
    engine = create_engine(sync_url(database_url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_match_the_models(fresh_database_url: str) -> None:
    assert differences(fresh_database_url) == []


def test_indexes_serve_every_list_page(fresh_database_url: str) -> None:
    engine = create_engine(sync_url(fresh_database_url))
    try:
        indexes = {
            index["name"]: index["column_names"] for index in inspect(engine).get_indexes("tasks")
        }
    finally:
        engine.dispose()

    assert indexes == {
        "ix_tasks_owner_id_id": ["owner_id", "id"],
        "ix_tasks_owner_id_done_id": ["owner_id", "done", "id"],
    }


def test_downgrade_and_upgrade_again(fresh_database_url: str, alembic_ini: Path) -> None:
    config = Config(str(alembic_ini))
    config.attributes["database_url"] = fresh_database_url

    command.downgrade(config, "base")
    assert tables(fresh_database_url) == set()

    command.upgrade(config, "head")
    assert tables(fresh_database_url) == {"tasks", "jobs", "job_submitters"}
    assert differences(fresh_database_url) == []
