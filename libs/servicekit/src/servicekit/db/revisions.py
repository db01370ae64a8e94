"""Whether the database holds the schema this code needs.

Migrations run apart from the service (a Job in Kubernetes, a step of `make run`), so a
service may start before them: `/readyz` then says `schema: pending` and the service
waits, taking no traffic, instead of crash-looping on missing tables.
"""

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine


class SchemaRevisions:
    """The revisions of one service's migrations, read once at start."""

    def __init__(self, alembic_ini: str | Path):
        script = ScriptDirectory.from_config(Config(str(alembic_ini)))
        self.head = script.get_current_head()
        self.known = frozenset(revision.revision for revision in script.walk_revisions())

    def state(self, version: str | None) -> str:
        """ "ok" at this code's head or beyond it, "pending" before it.

        Beyond it means a newer release migrated first, during a rolling upgrade: its
        migrations only add to the schema, so the older pods stay ready.
        """
        if version == self.head or (version is not None and version not in self.known):
            return "ok"
        return "pending"


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's alembic revision; None before the first migration."""
    async with engine.connect() as connection:
        try:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except exc.ProgrammingError:  # no alembic_version table yet
            return None
        return result.scalar()
