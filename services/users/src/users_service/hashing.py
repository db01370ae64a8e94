"""Password hashing that cannot starve the rest of the process.

An Argon2id hash is tens of milliseconds of CPU by design. Unbounded, 32 logins at once
ran 32 hashing threads against the event loop and every other request's thread, and an
unrelated profile read went from 14 ms to 494 ms. The gate lets `concurrency` hashes run
at once in the process, across both modes; the rest wait their turn for at most
`wait_seconds`, then get a 503 with Retry-After instead of piling up. Async callers
wait in the event loop, holding nothing; a `def` handler waits on one of the thread
pool's few threads, so at most `max_waiting_threads` may: more would leave none for the
other sync requests, and those callers get the 503 at once.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from servicekit.core.errors import ServiceUnavailable

T = TypeVar("T")


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable("Too many password checks at once; try again", retry_after=1)


class HashingGate:
    def __init__(self, concurrency: int, wait_seconds: float, *, max_waiting_threads: int):
        self._slots = threading.BoundedSemaphore(concurrency)  # shared by both modes
        self._async_turns = anyio.Semaphore(concurrency)  # async callers wait here, threadless
        self._wait_seconds = wait_seconds
        self._max_waiting_threads = max_waiting_threads
        self._waiting_threads = 0
        self._lock = threading.Lock()

    def run_sync(self, hash_work: Callable[..., T], *args: object) -> T:
        """For `def` handlers, already on a worker thread."""
        if self._slots.acquire(blocking=False):
            return self._release_after(hash_work, *args)
        with self._lock:
            if self._waiting_threads >= self._max_waiting_threads:
                raise _busy()
            self._waiting_threads += 1
        try:
            acquired = self._slots.acquire(timeout=self._wait_seconds)
        finally:
            with self._lock:
                self._waiting_threads -= 1
        if not acquired:
            raise _busy()
        return self._release_after(hash_work, *args)

    def _hash_on_this_thread(self, hash_work: Callable[..., T], *args: object) -> T:
        # An async caller's thread: at most `concurrency` of them wait here at once.
        if not self._slots.acquire(timeout=self._wait_seconds):
            raise _busy()
        return self._release_after(hash_work, *args)

    def _release_after(self, hash_work: Callable[..., T], *args: object) -> T:
        try:
            return hash_work(*args)
        finally:
            self._slots.release()

    async def run(self, hash_work: Callable[..., T], *args: object) -> T:
        """For `async def` handlers: the hash runs on a worker thread, off the loop."""
        with anyio.move_on_after(self._wait_seconds) as waiting:
            await self._async_turns.acquire()
        if waiting.cancelled_caught:
            raise _busy()
        try:
            return await anyio.to_thread.run_sync(self._hash_on_this_thread, hash_work, *args)
        finally:
            self._async_turns.release()
