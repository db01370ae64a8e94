"""The body of every service's alembic env.py: migrations run on the sync driver of
DATABASE_URL (or of `config.attributes["database_url"]`, which tests set)."""

import os

from alembic import context
from sqlalchemy import MetaData, create_engine, pool

from servicekit.db.engines import sync_url


def run_migrations(metadata: MetaData) -> None:
    url = context.config.attributes.get("database_url") or os.environ["DATABASE_URL"]
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
