"""Rate limits that every replica shares, counted in Redis by the `limits` library.

A limit is a `limits` string ("10/15 minutes"), checked with the moving-window
strategy: exact, so a burst at a window's edge cannot pass twice the limit. An exceeded
limit is a 429 problem whose Retry-After says when the oldest counted attempt leaves
the window. Redis away is a 503 (the redis errors servicekit.web.problem_details maps): a limit
that cannot be counted is not waived.
"""

import math
import time

import limits
import limits.aio.storage
import limits.aio.strategies
import limits.storage
import limits.strategies

from servicekit.core.errors import TooManyRequests
from servicekit.core.settings import ProcessSettings

KEY_PREFIX = "ratelimit"


def parse_limit(text: str) -> limits.RateLimitItem:
    """The limit of a setting, or a ValueError that names the expected form."""
    try:
        return limits.parse(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a rate limit like '10/minute'") from None


def _exceeded(detail: str, stats: limits.WindowStats) -> TooManyRequests:
    return TooManyRequests(detail, retry_after=max(1, math.ceil(stats.reset_time - time.time())))


class RateLimiter:
    """Async checks for `async def` handlers, sync ones (`*_sync`) for `def` handlers."""

    def __init__(self, settings: ProcessSettings):
        timeout = settings.redis_timeout
        self._async_storage = limits.aio.storage.RedisStorage(
            f"async+{settings.redis_url}",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self._async = limits.aio.strategies.MovingWindowRateLimiter(self._async_storage)
        self._sync = limits.strategies.MovingWindowRateLimiter(
            limits.storage.RedisStorage(
                settings.redis_url,
                key_prefix=KEY_PREFIX,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
        )

    async def hit(self, limit: limits.RateLimitItem, key: str, detail: str) -> None:
        """Count one attempt; raise TooManyRequests when it is over the limit."""
        if not await self._async.hit(limit, key):
            raise _exceeded(detail, await self._async.get_window_stats(limit, key))

    async def check(self, limit: limits.RateLimitItem, key: str, detail: str) -> None:
        """Raise TooManyRequests if one more attempt would be over the limit; count nothing."""
        if not await self._async.test(limit, key):
            raise _exceeded(detail, await self._async.get_window_stats(limit, key))

    def hit_sync(self, limit: limits.RateLimitItem, key: str, detail: str) -> None:
        if not self._sync.hit(limit, key):
            raise _exceeded(detail, self._sync.get_window_stats(limit, key))

    def check_sync(self, limit: limits.RateLimitItem, key: str, detail: str) -> None:
        if not self._sync.test(limit, key):
            raise _exceeded(detail, self._sync.get_window_stats(limit, key))
