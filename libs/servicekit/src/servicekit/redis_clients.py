"""Redis clients with short timeouts, so a missing Redis is a fast error, not a hang,
and the dependencies that hand them to handlers."""

from typing import Annotated

import redis
import redis.asyncio

from servicekit.settings import ProcessSettings
from servicekit.state import from_state


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


RedisDep = Annotated[redis.asyncio.Redis, from_state(lambda state: state.redis)]
SyncRedisDep = Annotated[redis.Redis, from_state(lambda state: state.sync_redis)]
