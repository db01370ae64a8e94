"""Alembic environment of the items service (see servicekit.db.alembic_env)."""

from items_service.models import Base
from servicekit.db.alembic_env import run_migrations

run_migrations(Base.metadata)
