"""Token revocation: every service refuses a user's tokens issued before a cutoff.

Access tokens are verified with the public key alone, so nothing would stop a token
of a deleted account, or one issued before a password change, until it expires. users
writes a cutoff per user to Redis when a password changes, a user logs out everywhere
or an account is deleted; every service keeps a copy of all cutoffs in memory and
refreshes it every second, so a check costs a dict lookup and no request waits on Redis.

The Redis layout is the contract between the two sides, servicecontracts.revocations: a
sorted set of cutoffs by user id, and a version counter that every write bumps.

While a service cannot reach Redis it keeps the copy it has (and logs it): refusing every
token would log everyone out on a Redis blip, while a revocation made meanwhile is
rare and the tokens it voids expire within their lifetime anyway. users refuses to
change a password or delete an account while Redis is away (503), so no revocation it
acknowledges is lost.
"""

import asyncio
import logging
import time
from typing import cast

import redis
import redis.asyncio
from opentelemetry.instrumentation.utils import suppress_instrumentation

from servicecontracts.revocations import REVOCATIONS_KEY, REVOCATIONS_VERSION_KEY

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0


def _write(
    pipe: redis.client.Pipeline | redis.asyncio.client.Pipeline,
    user_id: int,
    cutoff: float,
    keep_seconds: int,
) -> None:
    # GT: a later cutoff wins whatever order two writes arrive in. Cutoffs older than the
    # token lifetime void only expired tokens, so each write prunes them.
    pipe.zadd(REVOCATIONS_KEY, {str(user_id): cutoff}, gt=True)
    pipe.zremrangebyscore(REVOCATIONS_KEY, "-inf", cutoff - keep_seconds)
    pipe.incr(REVOCATIONS_VERSION_KEY)


async def revoke(client: redis.asyncio.Redis, user_id: int, *, keep_seconds: int) -> None:
    """Void every token of `user_id` issued before now (raises if Redis is away)."""
    async with client.pipeline(transaction=True) as pipe:
        _write(pipe, user_id, time.time(), keep_seconds)
        await pipe.execute()


def revoke_sync(client: redis.Redis, user_id: int, *, keep_seconds: int) -> None:
    """`revoke` for `def` handlers."""
    with client.pipeline(transaction=True) as pipe:
        _write(pipe, user_id, time.time(), keep_seconds)
        pipe.execute()


class RevocationList:
    """This process's copy of the cutoffs; `run()` keeps it fresh."""

    def __init__(self, client: redis.asyncio.Redis, *, refresh_seconds: float = REFRESH_SECONDS):
        self._redis = client
        self._refresh_seconds = refresh_seconds
        self._cutoffs: dict[int, float] = {}
        self._version: bytes | str | None = None
        self._reachable = True

    def is_revoked(self, user_id: int, issued_at: float) -> bool:
        cutoff = self._cutoffs.get(user_id)
        return cutoff is not None and issued_at < cutoff

    async def refresh(self) -> None:
        version = await self._redis.get(REVOCATIONS_VERSION_KEY)
        if version is not None and version == self._version:
            return
        # withscores=True: (member, score) pairs, which redis' stubs cannot tell from the rest.
        rows = cast(
            list[tuple[bytes, float]],
            await self._redis.zrange(REVOCATIONS_KEY, 0, -1, withscores=True),
        )

        # Replaced whole, never mutated: handlers in other threads read it meanwhile.
        self._cutoffs = {int(member): score for member, score in rows}

        self._version = version

    async def run(self) -> None:
        while True:
            try:
                # Housekeeping, not a request: a trace a second of it would bury the
                # traces people look for.
                with suppress_instrumentation():
                    await self.refresh()
            except redis.RedisError as error:
                if self._reachable:
                    logger.warning(
                        "token revocations not refreshed, keeping %d: %s", len(self._cutoffs), error
                    )
                self._reachable = False
            else:
                if not self._reachable:
                    logger.info("token revocations refreshed again")
                self._reachable = True
            await asyncio.sleep(self._refresh_seconds)
