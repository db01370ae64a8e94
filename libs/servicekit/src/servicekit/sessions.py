"""Per-request database sessions as FastAPI dependencies.

The session commits once, after the handler returns and before the response is sent
(`scope="function"`), so a failing commit is a 5xx and never a 201. Any error rolls
back. Services never commit.

Names follow the project's one rule for twins: the async form has the plain name, its
blocking twin adds `Sync` (`SessionDep` hands out an `AsyncSession`, `SyncSessionDep` a
`Session`; so do `RedisDep` and `SyncRedisDep`, `revoke` and `revoke_sync`).
"""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from servicekit.state import state_of


async def _async_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with state_of(request.app).db.async_sessions() as session:
        yield session
        await session.commit()


def _sync_session(request: Request) -> Iterator[Session]:
    with state_of(request.app).db.sync_sessions() as session:
        yield session
        session.commit()


async def _async_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with state_of(request.app).db.async_read_sessions() as session:
        yield session


def _sync_read_session(request: Request) -> Iterator[Session]:
    with state_of(request.app).db.sync_read_sessions() as session:
        yield session


# For handlers that run one read-only statement: nothing to commit, and on Postgres no
# transaction at all (servicekit.db says why). A handler that writes or reads twice
# takes the sessions below.
ReadSessionDep = Annotated[AsyncSession, Depends(_async_read_session, scope="function")]
SyncReadSessionDep = Annotated[Session, Depends(_sync_read_session, scope="function")]
SessionDep = Annotated[AsyncSession, Depends(_async_session, scope="function")]
SyncSessionDep = Annotated[Session, Depends(_sync_session, scope="function")]
