"""The connection pool of the sync baselines: `size` connections opened at startup and
handed out in turn, as a service's fixed SQLAlchemy pool of DB_POOL_SIZE does (no
overflow). psycopg_pool would do for Postgres, but PyMySQL has none, and one small pool
makes both sync baselines pay the same for it."""

import os
import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

import anyio.to_thread

Connection = TypeVar("Connection")

# The services' defaults (servicekit.core.settings): DB_POOL_SIZE 20 connections, and as many
# threads for `def` handlers, so a baseline and a service wait on the same resources.
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "20"))
SYNC_THREADS = int(os.environ.get("SYNC_THREADS", "20"))


def use_service_threads() -> None:
    """AnyIO's default of 40 threads for `def` handlers, cut to a service's; call it from
    the lifespan (the limiter belongs to the running event loop)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = SYNC_THREADS


class Pool(Generic[Connection]):
    def __init__(self, connect: Callable[[], Connection], close: Callable[[Connection], None]):
        self._close = close
        # LIFO: the connection used last is the warmest, as in SQLAlchemy's QueuePool.
        self._idle: queue.LifoQueue[Connection] = queue.LifoQueue()
        for _ in range(POOL_SIZE):
            self._idle.put(connect())

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        connection = self._idle.get()
        try:
            yield connection
        finally:
            self._idle.put(connection)

    def close(self) -> None:
        while not self._idle.empty():
            self._close(self._idle.get_nowait())
