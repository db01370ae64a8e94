"""Redis clients with short timeouts, so a missing Redis is a fast error, not a hang."""

import redis
import redis.asyncio

from servicekit.settings import ServiceSettings


def create_redis(settings: ServiceSettings) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
    )


def create_sync_redis(settings: ServiceSettings) -> redis.Redis:
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
    )
