"""The connections of one worker process."""

import asyncio
import threading
from functools import cached_property

import redis
from sqlalchemy import Engine

from servicekit.clients.http import ServiceClient
from servicekit.clients.redis import create_sync_redis
from servicekit.db.engines import create_sync_engine
from servicekit.observability.tracing import trace_engine
from worker_service.job_records import JobRecords
from worker_service.settings import WorkerSettings


class Resources:
    """Made on first use, which is inside a pool process: the prefork pool forks after
    the app is built, and a socket opened before the fork would be shared by every child.
    """

    def __init__(self, settings: WorkerSettings):
        self.settings = settings
        self._lock = threading.Lock()

    def _engine(self, database_url: str) -> Engine:
        # servicekit builds it as for a service: timeouts, UTC, MySQL statement limit.
        engine = create_sync_engine(self.settings, database_url)
        if self.settings.tracing_enabled:
            trace_engine(engine)
        return engine

    @cached_property
    def items_engine(self) -> Engine:
        with self._lock:
            return self._engine(self.settings.items_database_url)

    @cached_property
    def job_records(self) -> JobRecords:
        with self._lock:
            engine = self._engine(self.settings.tasks_database_url)
            return JobRecords(engine, max_attempts=self.settings.job_max_attempts)

    @cached_property
    def redis(self) -> redis.Redis:
        with self._lock:
            return create_sync_redis(self.settings)

    @cached_property
    def loop(self) -> asyncio.AbstractEventLoop:
        """One event loop per process for the async HTTP calls of jobs: the clients'
        pooled connections belong to the loop they were opened on."""
        return asyncio.new_event_loop()

    @cached_property
    def services(self) -> dict[str, ServiceClient]:
        settings = self.settings
        urls = {
            "users": settings.users_url,
            "items": settings.items_url,
            "tasks": settings.tasks_url,
        }
        return {
            name: ServiceClient(name, url, timeout=settings.service_timeout_seconds)
            for name, url in urls.items()
        }

    def close(self) -> None:
        if "items_engine" in self.__dict__:
            self.items_engine.dispose()
        if "job_records" in self.__dict__:
            self.job_records.dispose()
        if "redis" in self.__dict__:
            self.redis.close()
        if "services" in self.__dict__:
            for client in self.services.values():
                self.loop.run_until_complete(client.aclose())
        if "loop" in self.__dict__:
            self.loop.close()
