"""A user's tokens voided together with the change that calls for it (a password
change, an account deletion): servicekit.security.revocation says how every service learns it."""

import logging

import redis
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from servicekit.security.revocation import revoke, revoke_sync

logger = logging.getLogger(__name__)


async def commit_and_revoke(
    session: AsyncSession, client: redis.asyncio.Redis, user_id: int, keep_seconds: int
) -> None:
    # First before the commit: with Redis away this is a 503 and the change rolls back,
    # so no change is acknowledged with its old tokens still valid.
    await revoke(client, user_id, keep_seconds=keep_seconds)
    await session.commit()
    # Again after it: voids a login that read the old password in between.
    try:
        await revoke(client, user_id, keep_seconds=keep_seconds)
    except redis.RedisError as error:
        logger.warning("user %s: tokens revoked before the commit only: %s", user_id, error)


def commit_and_revoke_sync(
    session: Session, client: redis.Redis, user_id: int, keep_seconds: int
) -> None:
    revoke_sync(client, user_id, keep_seconds=keep_seconds)
    session.commit()
    try:
        revoke_sync(client, user_id, keep_seconds=keep_seconds)
    except redis.RedisError as error:
        logger.warning("user %s: tokens revoked before the commit only: %s", user_id, error)
