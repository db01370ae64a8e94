"""Per-request database sessions as FastAPI dependencies.

The session commits once, after the handler returns and before the response is sent
(`scope="function"`), so a failing commit is a 5xx and never a 201. Any error rolls
back. Services never commit.

Names follow the project's one rule for twins: the async form has the plain name, its
blocking twin adds `Sync` (`SessionDep` hands out an `AsyncSession`, `SyncSessionDep` a
`Session`; so do `RedisDep` and `SyncRedisDep`, `revoke` and `revoke_sync`).
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from servicekit.db.engines import Database
from servicekit.web.state import state_of


@asynccontextmanager
async def async_session(db: Database) -> AsyncIterator[AsyncSession]:
    """A request's session: committed when the block ends without an error, rolled back
    when it raises. Leave the block before the response is sent, so that a failing
    commit is a 5xx and never a 2xx."""
    async with db.async_sessions() as session:
        yield session
        await session.commit()


@contextmanager
def sync_session(db: Database) -> Iterator[Session]:
    """`async_session`'s blocking twin."""
    with db.sync_sessions() as session:
        yield session
        session.commit()


async def _async_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with async_session(state_of(request.app).db) as session:
        yield session


def _sync_session(request: Request) -> Iterator[Session]:
    with sync_session(state_of(request.app).db) as session:
        yield session


# Sessions are for writes (a write may read what it wrote: servicekit.queries.reads.reads_of);
# reads alone take servicekit.queries.reads.
SessionDep = Annotated[AsyncSession, Depends(_async_session, scope="function")]
SyncSessionDep = Annotated[Session, Depends(_sync_session, scope="function")]
