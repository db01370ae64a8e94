"""Alembic environment of the tasks service (see servicekit.migrations)."""

from servicekit.migrations import run_migrations
from tasks_service.models import Base

run_migrations(Base.metadata)
