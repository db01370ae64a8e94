"""Alembic environment of the items service (see servicekit.migrations)."""

from items_service.models import Base
from servicekit.migrations import run_migrations

run_migrations(Base.metadata)
