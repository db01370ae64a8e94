"""The worker's Celery app.

    celery --quiet -A worker_service.celery_app worker --loglevel INFO
    celery --quiet -A worker_service.celery_app beat --schedule /tmp/beat-schedule

(`--quiet` leaves out Celery's banner, the only stdout lines that are not JSON.)

Every log line is servicekit's (JSON, or console lines as LOG_FORMAT says) with the
request id of the job's sender: Celery's own logging setup is skipped (a `setup_logging`
receiver), and servicekit.clients.jobs adopts the id from the message headers when a job
starts. The periodic jobs log only what they did (housekeeping.py).

The worker's main process serves Prometheus metrics on METRICS_PORT (see metrics.py);
its pool processes trace the jobs they run (servicekit.observability.tracing).
"""

import logging
import os
from typing import Any

from celery import Celery, signals

from worker_service import MULTIPROC_DIR_ENV, metrics_dir

# First, before anything imports prometheus_client: it keeps values in per-process
# files, which the main process adds up, only if this is set when it is first imported.
os.environ[MULTIPROC_DIR_ENV] = metrics_dir()

from servicekit.clients.jobs import create_celery
from servicekit.core.settings import load_settings
from servicekit.observability.logging import configure_logging
from servicekit.observability.tracing import configure_tracing
from worker_service import metrics
from worker_service.heartbeat import heartbeat_step
from worker_service.housekeeping import FLUSH_TASK, RESEND_TASK, quiet_housekeeping
from worker_service.liveness import touch
from worker_service.resources import Resources
from worker_service.settings import WorkerSettings
from worker_service.tasks import register_tasks


def create_worker_app(settings: WorkerSettings) -> Celery:
    app = create_celery(
        settings.service_name,
        settings.redis_url,
        visibility_timeout=settings.visibility_timeout_seconds,
        soft_time_limit=settings.soft_time_limit_seconds,
        time_limit=settings.time_limit_seconds,
        connect_timeout=settings.redis_timeout,
    )
    app.conf.update(
        # kombu looks for messages of dead workers (unacked past the visibility timeout)
        # every 10 s but scans only on every 10th look by default: up to 100 s more.
        broker_transport_options={
            **app.conf.broker_transport_options,
            "unacked_restore_throttle": 1,
        },
        # A queue per worker, `<hostname>.dq2`, for the heartbeat it sends itself.
        worker_direct=True,
        worker_concurrency=settings.worker_concurrency,
        beat_schedule_filename=settings.beat_schedule_file,
        beat_schedule={
            "flush-item-views": {
                "task": FLUSH_TASK,
                "schedule": settings.flush_interval_seconds,
                # Flushes queued while no worker ran would only repeat one another.
                "options": {"expires": settings.flush_interval_seconds},
            },
            "resend-lost-jobs": {
                "task": RESEND_TASK,
                "schedule": settings.resend_interval_seconds,
                "options": {"expires": settings.resend_interval_seconds},
            },
        },
    )
    resources = Resources(settings)
    register_tasks(app, resources)
    app.steps["consumer"].add(
        heartbeat_step(settings.heartbeat_interval_seconds, settings.heartbeat_file)
    )

    chosen_level = [settings.log_level]

    def setup_logging(loglevel: str | int | None = None, **_kwargs: Any) -> None:
        # `--loglevel` wins over LOG_LEVEL; pool processes keep the main process's choice.
        if loglevel:
            level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
            chosen_level[0] = level
        configure_logging(settings.service_name, chosen_level[0], settings.log_format)
        # The periodic jobs' sending, receipt and success: at debug (housekeeping.py).
        quiet_housekeeping()
        # Celery's own warnings (such as running as root) become JSON lines too.
        logging.captureWarnings(True)

    def touch_heartbeat(sender: Any = None, **_kwargs: Any) -> None:
        if sender is not None and sender.app is app:
            touch(settings.heartbeat_file)

    def close_resources(**_kwargs: Any) -> None:
        resources.close()

    def serve_metrics(instance: Any = None, **_kwargs: Any) -> None:
        # The main process of `celery worker` (never beat), its logging set up, before
        # the pool starts.
        on = settings.metrics_enabled and settings.metrics_port
        if instance is not None and instance.app is app and on:
            metrics.serve(app, settings)

    def trace_jobs(**_kwargs: Any) -> None:
        # In each pool process: jobs run there, and an exporter's thread does not
        # survive the fork. A job's spans continue the trace of the request that sent it
        # (its `traceparent` rides in the message headers).
        configure_tracing(settings.service_name)

    # Strong references: Celery would otherwise drop these closures at once.
    signals.setup_logging.connect(setup_logging, weak=False)
    # Pool processes inherit the configuration when forked; spawned ones need it again.
    signals.worker_process_init.connect(setup_logging, weak=False)
    signals.task_prerun.connect(touch_heartbeat, weak=False)
    signals.task_postrun.connect(touch_heartbeat, weak=False)
    signals.worker_process_shutdown.connect(close_resources, weak=False)
    signals.celeryd_after_setup.connect(serve_metrics, weak=False)
    if settings.tracing_enabled:
        signals.worker_process_init.connect(trace_jobs, weak=False)
    return app


app = create_worker_app(load_settings(WorkerSettings))
