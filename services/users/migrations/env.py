"""Alembic environment of the users service (see servicekit.migrations)."""

from servicekit.migrations import run_migrations
from users_service.models import Base

run_migrations(Base.metadata)
