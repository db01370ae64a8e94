"""Redis clients with short timeouts, so a missing Redis is a fast error, not a hang,
and the dependencies that hand them to handlers."""

from typing import Annotated

import redis
import redis.asyncio
from fastapi import Depends, Request

from servicekit.settings import ProcessSettings


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


# async: a plain def dependency would cost a thread hop per request.
async def _redis(request: Request) -> redis.asyncio.Redis:
    return request.app.state.redis


async def _sync_redis(request: Request) -> redis.Redis:
    return request.app.state.sync_redis


RedisDep = Annotated[redis.asyncio.Redis, Depends(_redis)]
SyncRedisDep = Annotated[redis.Redis, Depends(_sync_redis)]
