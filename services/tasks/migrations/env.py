"""Alembic environment of the tasks service: runs on the sync driver of DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine, pool

from servicekit.db import sync_url
from tasks_service.models import Base

url = context.config.attributes.get("database_url") or os.environ["DATABASE_URL"]
engine = create_engine(sync_url(url), poolclass=pool.NullPool)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
