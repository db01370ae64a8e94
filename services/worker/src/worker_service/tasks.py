"""The Celery tasks: thin wrappers, named `<domain>.<verb>`, around the functions in jobs/.

They take ids and primitives only and are idempotent: delivery is at least once.
Only transient errors (a database or Redis that is away or slow) are retried.
"""

from datetime import timedelta

import redis
from celery import Celery
from sqlalchemy import exc

from worker_service.jobs import digest, views
from worker_service.liveness import touch
from worker_service.resources import Resources

TRANSIENT_ERRORS = (exc.OperationalError, redis.ConnectionError, redis.TimeoutError)
RETRY_TRANSIENT = {
    "autoretry_for": TRANSIENT_ERRORS,
    "max_retries": 3,
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "retry_jitter": True,
}


def register_tasks(app: Celery, resources: Resources) -> None:
    settings = resources.settings
    keys = views.ViewKeys(settings.views_key_prefix)
    retention = timedelta(days=settings.flush_retention_days)

    @app.task(name="compute.digest")
    def compute_digest(data: str, rounds: int) -> dict[str, object]:
        return digest.digest(data, rounds)

    @app.task(name="counters.flush_item_views", **RETRY_TRANSIENT)
    def flush_item_views() -> dict[str, int]:
        return views.flush_item_views(resources.redis, resources.items_engine, keys, retention)

    @app.task(name="health.heartbeat")
    def heartbeat() -> None:
        touch(settings.heartbeat_file)
