"""Settings of the worker: one environment variable per field."""

from pydantic import Field, PositiveFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicecontracts import view_counts
from servicekit.core.settings import ProcessSettings


class HeartbeatSettings(BaseSettings):
    """All the liveness probe reads: it runs often, and must not fail on anything else."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Touched by every job and by a heartbeat job sent to this worker's own queue;
    # `python -m worker_service.liveness` fails when it grows older than the max age.
    heartbeat_file: str = "/tmp/worker-heartbeat"  # noqa: S108 - a marker, not a secret
    heartbeat_interval_seconds: PositiveFloat = 30.0
    liveness_max_age_seconds: PositiveFloat = 300.0


class WorkerSettings(ProcessSettings, HeartbeatSettings):
    service_name: str = "worker"
    # `redis_url` (inherited) is the Celery broker; the view counters live there too.

    # No defaults: a worker pointed at no database must not start. View counts are
    # flushed into items'; job records (tasks' `jobs` table) are moved along in tasks'.
    items_database_url: str
    tasks_database_url: str
    # What a report calls; each call has this total deadline, retries included.
    users_url: str = "http://127.0.0.1:8001"
    items_url: str = "http://127.0.0.1:8002"
    tasks_url: str = "http://127.0.0.1:8003"
    service_timeout_seconds: PositiveFloat = 2.0
    # Pool processes that run jobs (`--concurrency` overrides it). Celery's own default is
    # the machine's CPU count, which in a container is the node's, not the pod's share.
    worker_concurrency: PositiveInt = 2
    # A job holds one connection at a time; a process needs no pool of ten.
    db_pool_size: PositiveInt = 2
    db_max_overflow: int = 0
    # The same setting as items' (servicecontracts.view_counts names the keys under it).
    views_key_prefix: str = view_counts.DEFAULT_PREFIX
    flush_interval_seconds: PositiveFloat = 5.0
    # Where beat keeps when each periodic job last ran (`--schedule` overrides it).
    beat_schedule_file: str = "celerybeat-schedule"
    # Flush ids in `view_flushes` older than this are pruned; a dead flush is retried
    # within seconds, so a week is far more than enough to recognise one.
    flush_retention_days: PositiveInt = 7

    # Transient failures (a database, Redis or service away) are retried this often,
    # with backoff, before the job is failed.
    job_max_retries: PositiveInt = 3
    # A job started this often without ending (its process killed every time) is failed.
    job_max_attempts: PositiveInt = 8
    # How often beat looks for jobs to send again: unfinished jobs after Redis restarted
    # empty, and jobs running longer than the hard time limit (their worker is gone).
    resend_interval_seconds: PositiveFloat = 30.0
    # Ended jobs stay readable this long, then are deleted.
    job_retention_days: PositiveInt = 7

    # A job still unacknowledged after the visibility timeout is delivered again, so
    # soft limit < hard limit < visibility timeout (create_celery checks it).
    visibility_timeout_seconds: PositiveInt = 600
    soft_time_limit_seconds: PositiveInt = 120
    time_limit_seconds: PositiveInt = 180

    # The worker's main process serves Prometheus metrics on /metrics here, the sums of
    # all its pool processes (see metrics.py); port 0 turns metrics off. Every interface
    # by default, so that Prometheus reaches it in a pod; 127.0.0.1 on a laptop.
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"  # noqa: S104
