"""Redis clients with short timeouts, so a missing Redis is a fast error, not a hang.
Free of FastAPI: the worker makes its clients here too (handlers take them with
`servicekit.web.state.RedisDep`)."""

import redis
import redis.asyncio

from servicekit.core.settings import ProcessSettings


def create_redis(settings: ProcessSettings) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
    )


def create_sync_redis(settings: ProcessSettings) -> redis.Redis:
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
    )
