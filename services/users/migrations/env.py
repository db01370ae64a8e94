"""Alembic environment of the users service (see servicekit.db.alembic_env)."""

from servicekit.db.alembic_env import run_migrations
from users_service.models import Base

run_migrations(Base.metadata)
