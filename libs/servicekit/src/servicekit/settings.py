"""The base settings every service extends: one environment variable per field."""

from pydantic import Field, PositiveFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    log_level: str = "INFO"
    # An access line per request, Prometheus metrics on /metrics, and a span per request
    # (exported when OTEL_EXPORTER_OTLP_ENDPOINT is set); `make bench-ceiling` measures
    # what the three cost together.
    access_log: bool = True
    metrics_enabled: bool = True
    tracing_enabled: bool = True

    # One URL drives both modes: the async and sync drivers are derived from it (see db.py).
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    # Per engine, so a service holds at most 2 x (size + overflow) connections. A fixed
    # pool, no overflow: SQLAlchemy closes an overflow connection whenever `size` idle
    # ones wait, so a load that ebbs and flows opened a new connection every couple of
    # requests (seen in pg_stat_activity); 20 kept ones cost the same at peak and the
    # pool still grows only as far as the load takes it (measured: sync +17% rps).
    db_pool_size: PositiveInt = 20
    db_max_overflow: int = Field(default=0, ge=0)
    # How long a request waits for a pooled connection before it gets a 503.
    db_pool_timeout: PositiveFloat = 5.0
    db_connect_timeout: PositiveFloat = 2.0
    db_statement_timeout_ms: PositiveInt = 5_000
    # Threads for `def` handlers; AnyIO's default is 40. More threads than pooled
    # connections only queue on the pool, so the default matches the sync pool.
    sync_threads: PositiveInt = 20

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_timeout: PositiveFloat = 1.0

    # Pins this process's Snowflake worker id; otherwise one is leased from Redis.
    worker_id: int | None = Field(default=None, ge=0, le=1023)
    worker_id_lease_seconds: PositiveInt = 30

    # Tokens are issued by users and verified everywhere with the public key alone.
    jwt_public_key: str | None = None
    jwt_issuer: str = "users"
    jwt_audience: str = "services"

    max_body_bytes: PositiveInt = 1024 * 1024
