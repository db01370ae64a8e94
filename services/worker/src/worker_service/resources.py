"""The connections of one worker process."""

import threading
from functools import cached_property

import redis
from sqlalchemy import Engine

from servicekit.db import create_database
from servicekit.redis_clients import create_sync_redis
from worker_service.settings import WorkerSettings


class Resources:
    """Made on first use, which is inside a pool process: the prefork pool forks after
    the app is built, and a socket opened before the fork would be shared by every child.
    """

    def __init__(self, settings: WorkerSettings):
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def items_engine(self) -> Engine:
        with self._lock:
            # servicekit builds it as for a service: timeouts, UTC, MySQL statement limit.
            items = self.settings.model_copy(
                update={"database_url": self.settings.items_database_url}
            )
            return create_database(items).sync_engine

    @cached_property
    def redis(self) -> redis.Redis:
        with self._lock:
            return create_sync_redis(self.settings)

    def close(self) -> None:
        if "items_engine" in self.__dict__:
            self.items_engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()
