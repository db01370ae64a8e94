"""Jobs whose message is gone, sent again; ended jobs past their retention, deleted.

A message can vanish in two ways while its job's record says it is unfinished:

- Redis restarted empty (this Redis keeps nothing on disk, and a Redis that does can
  still lose its last second). A mark key, set when missing, tells: if this look had to
  set it, everything Redis held is gone, so every unfinished job is sent again.
- A job is running longer than the hard time limit. No worker can still be running it
  (the limit kills the process), so its message was acknowledged or lost with the
  process: it is sent again, and the records count the attempt.

A job sent twice is harmless: its record starts it once and stores its outcome once.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

import redis

from servicecontracts.job_messages import JobMessage
from servicekit.db.models import utcnow
from worker_service.job_records import JobRecords

logger = logging.getLogger(__name__)

BROKER_MARK_KEY = "worker:broker-mark"


def resend_lost_jobs(
    records: JobRecords,
    broker: redis.Redis,
    send: Callable[[JobMessage, str | None], None],
    *,
    stalled_after: timedelta,
) -> int:
    """Sends again the jobs whose message is gone; returns how many."""
    now = utcnow()
    broker_emptied = bool(broker.set(BROKER_MARK_KEY, now.isoformat(), nx=True))
    lost = records.unfinished(started_before=None if broker_emptied else now - stalled_after)
    for job in lost:
        send(job.message, job.request_id)
    if lost:
        why = "Redis started empty" if broker_emptied else "they outran the time limit"
        logger.warning("sent %d unfinished jobs again: %s", len(lost), why)
    return len(lost)


def prune_ended_jobs(records: JobRecords, *, retention: timedelta) -> int:
    pruned = records.prune(ended_before=utcnow() - retention)
    if pruned:
        logger.info("deleted %d jobs that ended more than %s ago", pruned, retention)
    return pruned
