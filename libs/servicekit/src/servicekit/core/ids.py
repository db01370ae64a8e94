"""64-bit, time-ordered ids unique across every process of the deployment, and
`is_id`, whether a value a client sent can be one.

Snowflake layout: 41 bits of milliseconds since 2024-01-01, 10 bits of worker id,
12 bits of sequence. A process leases its worker id from Redis (or has it pinned by
`WORKER_ID`) so no two live processes share one; the id is never derived from a hash.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable

import redis
from opentelemetry.instrumentation.utils import suppress_instrumentation

from servicecontracts.storage import MAX_ID

EPOCH_MS = 1_704_067_200_000
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER_ID = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1

logger = logging.getLogger(__name__)


def is_id(value: object) -> bool:
    """Whether a value read from a client (a token's subject, say) is a possible row id."""
    return type(value) is int and 0 < value <= MAX_ID


class SnowflakeGenerator:
    """Thread-safe: sync handlers make ids from many threads at once."""

    def __init__(self, worker_id: int | None = None, clock: Callable[[], int] = time.time_ns):
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = 0
        self._sequence = 0
        self._worker_id: int | None = None
        if worker_id is not None:
            self.assign(worker_id)

    @property
    def worker_id(self) -> int | None:
        return self._worker_id

    def assign(self, worker_id: int) -> None:
        if not 0 <= worker_id <= MAX_WORKER_ID:
            raise ValueError(f"worker id must be within 0..{MAX_WORKER_ID}, got {worker_id}")
        with self._lock:
            self._worker_id = worker_id

    def next_id(self) -> int:
        with self._lock:
            if self._worker_id is None:
                raise RuntimeError("no worker id assigned: lease one or set WORKER_ID")
            now = self._clock() // 1_000_000 - EPOCH_MS
            if now > self._last_ms:
                self._last_ms = now
                self._sequence = 0
            else:
                # Same millisecond, or the clock stepped back: stay on the last timestamp
                # and count on; when the sequence runs out, borrow the next millisecond.
                # Ids stay unique and increasing whatever the wall clock does.
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:
                    self._last_ms += 1
            return (
                (self._last_ms << (WORKER_BITS + SEQUENCE_BITS))
                | (self._worker_id << SEQUENCE_BITS)
                | self._sequence
            )


def parse(snowflake: int) -> tuple[int, int, int]:
    """(unix milliseconds, worker id, sequence) of an id."""
    return (
        (snowflake >> (WORKER_BITS + SEQUENCE_BITS)) + EPOCH_MS,
        (snowflake >> SEQUENCE_BITS) & MAX_WORKER_ID,
        snowflake & MAX_SEQUENCE,
    )


_RENEW = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
elseif not owner then
  return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) and 1 or 0
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class WorkerIdLease:
    """Holds one worker id in Redis with a TTL, renewed by a daemon thread.

    A thread rather than an asyncio task, so the same lease serves uvicorn and Celery.
    If Redis loses the key (a restart), renewal claims it again; if another process holds
    it by then, the lease moves to a free id and tells the generator.
    """

    KEY = "servicekit:worker-id:{}"

    def __init__(self, redis_url: str, generator: SnowflakeGenerator, ttl_seconds: int = 30):
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._generator = generator
        self._ttl = ttl_seconds
        self._token = secrets.token_hex(16)
        self._worker_id: int | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> int:
        start = secrets.randbelow(MAX_WORKER_ID + 1)
        for offset in range(MAX_WORKER_ID + 1):
            candidate = (start + offset) % (MAX_WORKER_ID + 1)
            if self._redis.set(self.KEY.format(candidate), self._token, nx=True, ex=self._ttl):
                self._worker_id = candidate
                self._generator.assign(candidate)
                return candidate
        raise RuntimeError("all 1024 worker ids are leased")

    def start(self) -> int:
        try:
            worker_id = self.acquire()
        except redis.RedisError as error:
            raise RuntimeError(
                f"cannot lease a worker id from Redis ({error}); set WORKER_ID to pin one"
            ) from error
        self._thread = threading.Thread(target=self._renew_forever, name="worker-id-lease")
        self._thread.daemon = True
        self._thread.start()
        return worker_id

    def renew(self) -> None:
        key = self.KEY.format(self._worker_id)
        if not self._redis.eval(_RENEW, 1, key, self._token, self._ttl):
            lost = self._worker_id
            self.acquire()
            logger.warning("worker id %s was taken over; now using %s", lost, self._worker_id)
        else:  # routine, every third of the TTL: at debug only
            logger.debug("worker id %s lease renewed", self._worker_id)

    def _renew_forever(self) -> None:
        while not self._stopped.wait(self._ttl / 3):
            try:
                with suppress_instrumentation():  # housekeeping makes no traces
                    self.renew()
            except redis.RedisError as error:
                # Nobody can take the id while Redis is away; claim it again when it is back.
                logger.warning("worker id lease not renewed: %s", error)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        try:
            self._redis.eval(_RELEASE, 1, self.KEY.format(self._worker_id), self._token)
        except redis.RedisError:
            pass  # the TTL frees it
        finally:
            self._redis.close()
