"""Alembic environment of the tasks service (see servicekit.db.alembic_env)."""

import tasks_service.jobs.models  # noqa: F401 (registers the jobs table on Base)
from servicekit.db.alembic_env import run_migrations
from tasks_service.models import Base

run_migrations(Base.metadata)
