"""The worker's periodic jobs are housekeeping: they say what they did, and nothing else.

Beat sends a view-count flush every few seconds, a look for lost jobs every half minute,
and each worker sends itself a heartbeat: Celery would log three lines for each (sent,
received, succeeded), a screenful a minute that says nothing. Those lines go down to
debug; the jobs themselves log at info when they moved counts, sent jobs again or
pruned something (jobs/views.py, lost_jobs.py). A job that fails is still an error.
"""

import logging
from collections.abc import Mapping

from worker_service.heartbeat import HEARTBEAT_TASK

FLUSH_TASK = "counters.flush_item_views"
RESEND_TASK = "jobs.resend_lost"
HOUSEKEEPING_TASKS = frozenset({FLUSH_TASK, RESEND_TASK, HEARTBEAT_TASK})

# Where Celery logs a task's sending (beat), receipt (worker) and success (pool).
_ROUTINE_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


def _task_of(record: logging.LogRecord) -> object:
    # The worker's lines carry their fields in `data` ({"name": ..., "id": ...}); beat's
    # "Sending due task %s (%s)" has the entry's name and then the task's in its args.
    data = getattr(record, "data", None)
    if isinstance(data, Mapping):
        return data.get("name")
    if isinstance(record.args, tuple) and len(record.args) == 2:
        return record.args[1]
    return None


class HousekeepingAtDebug(logging.Filter):
    """Turns Celery's info lines about housekeeping tasks into debug lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or _task_of(record) not in HOUSEKEEPING_TASKS:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_housekeeping() -> None:
    """Installs the filter (once) on the loggers Celery writes those lines with."""
    for name in _ROUTINE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HousekeepingAtDebug) for f in logger.filters):
            logger.addFilter(HousekeepingAtDebug())
