"""The worker sends itself a `health.heartbeat` job now and then, on its own queue.

`worker_direct` gives each worker a queue of its own (`<hostname>.dq2`), so the job
proves that this very worker still consumes; the job touches the heartbeat file that
the liveness probe reads. When consuming stops, the jobs pile up unconsumed (and
expire), and the file ages.

The sending runs on the consumer's timer, in the main thread, not in a thread of its
own: the prefork pool forks from the main thread, and a fork while another thread holds
a Redis connection pool's lock leaves the child deadlocked in kombu's after-fork cleanup.
"""

import logging
from typing import Any

from celery import bootsteps
from celery.utils.nodenames import worker_direct
from kombu.asynchronous.timer import Entry

from worker_service.liveness import touch

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "health.heartbeat"


class HeartbeatStep(bootsteps.StartStopStep):  # type: ignore[misc]  # celery has no stubs
    """A consumer bootstep; `heartbeat_step` makes one with the interval and file set.

    A consumer step is stopped and started again when the broker connection is lost
    and comes back, so the heartbeats follow the connection.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)
    interval: float = 30.0
    path: str = "/tmp/worker-heartbeat"  # noqa: S108

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._timer_entry: Entry | None = None

    def start(self, consumer: Any) -> None:
        touch(self.path)  # alive from the start, before the first heartbeat comes back
        self._send(consumer)
        self._timer_entry = consumer.timer.call_repeatedly(
            self.interval, self._send, (consumer,), priority=10
        )

    def stop(self, consumer: Any) -> None:
        if self._timer_entry is not None:
            self._timer_entry.cancel()  # type: ignore[no-untyped-call]  # unannotated upstream
            self._timer_entry = None

    shutdown = stop

    def _send(self, consumer: Any) -> None:
        try:
            # A heartbeat older than two intervals says nothing about now.
            consumer.app.send_task(
                HEARTBEAT_TASK,
                queue=worker_direct(consumer.hostname),
                expires=2 * self.interval,
                retry=False,
            )
        except Exception as error:  # the broker is away: the file ages, as it should
            logger.warning("heartbeat not sent: %s", error)


def heartbeat_step(interval: float, path: str) -> type[HeartbeatStep]:
    return type("Heartbeat", (HeartbeatStep,), {"interval": interval, "path": path})
