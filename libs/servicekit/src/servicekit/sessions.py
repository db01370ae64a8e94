"""Per-request database sessions as FastAPI dependencies.

The session commits once, after the handler returns and before the response is sent
(`scope="function"`), so a failing commit is a 5xx and never a 201. Any error rolls
back. Services never commit.

Names follow the project's one rule for twins: the async form has the plain name, its
blocking twin adds `Sync` (`SessionDep` hands out an `AsyncSession`, `SyncSessionDep` a
`Session`; so do `RedisDep` and `SyncRedisDep`, `revoke` and `revoke_sync`).
"""

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, TypeVarTuple

from fastapi import Depends, Request
from sqlalchemy import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TypedReturnsRows

from servicekit.db import Database
from servicekit.state import state_of

Columns = TypeVarTuple("Columns")


@asynccontextmanager
async def async_session(db: Database, *, read_only: bool) -> AsyncIterator[AsyncSession]:
    """A request's session: committed when the block ends without an error, rolled back
    when it raises. Leave the block before the response is sent, so that a failing
    commit is a 5xx and never a 2xx. A read session has nothing to commit."""
    sessions = db.async_read_sessions if read_only else db.async_sessions
    async with sessions() as session:
        yield session
        if not read_only:
            await session.commit()


@contextmanager
def sync_session(db: Database, *, read_only: bool) -> Iterator[Session]:
    """`async_session`'s blocking twin."""
    sessions = db.sync_read_sessions if read_only else db.sync_sessions
    with sessions() as session:
        yield session
        if not read_only:
            session.commit()


def read(
    session: Session, statement: TypedReturnsRows[*Columns], params: Mapping[str, Any]
) -> CursorResult[*Columns]:
    """Runs a Core statement (columns, not entities) on the session's connection: the
    same SQL, transaction and rows, without the ORM's steps per execution (autoflush,
    entity compile state), which cost a sixth of a users-list request."""
    return session.connection().execute(statement, params)


async def _async_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with async_session(state_of(request.app).db, read_only=False) as session:
        yield session


def _sync_session(request: Request) -> Iterator[Session]:
    with sync_session(state_of(request.app).db, read_only=False) as session:
        yield session


async def _async_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with async_session(state_of(request.app).db, read_only=True) as session:
        yield session


def _sync_read_session(request: Request) -> Iterator[Session]:
    with sync_session(state_of(request.app).db, read_only=True) as session:
        yield session


# For handlers that run one read-only statement: nothing to commit, and on Postgres no
# transaction at all (servicekit.db says why). A handler that writes or reads twice
# takes the sessions below.
ReadSessionDep = Annotated[AsyncSession, Depends(_async_read_session, scope="function")]
SyncReadSessionDep = Annotated[Session, Depends(_sync_read_session, scope="function")]
SessionDep = Annotated[AsyncSession, Depends(_async_session, scope="function")]
SyncSessionDep = Annotated[Session, Depends(_sync_session, scope="function")]
