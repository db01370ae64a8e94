"""Alembic environment of the items service: runs on the sync driver of DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine, pool

from items_service.models import Base
from servicekit.db import sync_url

url = context.config.attributes.get("database_url") or os.environ["DATABASE_URL"]
engine = create_engine(sync_url(url), poolclass=pool.NullPool)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
