"""The base settings every process extends: one environment variable per field.

`load_settings` reads them at start and turns a missing or invalid one into a single
line and a non-zero exit, so a misconfigured container stops at once and says why.
"""

from typing import Self, TypeVar

from pydantic import (
    Field,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.core.console import LogFormat

Settings = TypeVar("Settings", bound=BaseSettings)


class ProcessSettings(BaseSettings):
    """What every process of the system reads: logs, observability, pools, Redis, ids."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    log_level: str = "INFO"
    # JSON lines, or lines a person reads (servicekit.core.console); `auto` picks the latter
    # on a terminal only. Images set `json`: a container's log is for machines.
    log_format: LogFormat = "auto"
    # An access line per request, Prometheus metrics on /metrics, and a span per request
    # (exported when OTEL_EXPORTER_OTLP_ENDPOINT is set); `make bench-ceiling` measures
    # what the three cost together.
    access_log: bool = True
    metrics_enabled: bool = True
    tracing_enabled: bool = True

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
    # The server cancels a statement that runs longer than this (a 503) ...
    db_statement_timeout_ms: PositiveInt = 5_000
    # ... and the client gives up on any one database call after this, discarding the
    # connection: a frozen server answers no timeout of its own, and its kernel still
    # acknowledges TCP, so keepalives stay silent (servicekit.db.deadlines). Longer than the
    # statement timeout, so that a live server's own cancellation comes back first.
    db_call_timeout: PositiveFloat = 6.0
    # Threads for `def` handlers; AnyIO's default is 40. More threads than pooled
    # connections only queue on the pool, so the default matches the sync pool.
    sync_threads: PositiveInt = 20

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_timeout: PositiveFloat = 1.0

    # Pins this process's Snowflake worker id; otherwise one is leased from Redis.
    worker_id: int | None = Field(default=None, ge=0, le=1023)
    worker_id_lease_seconds: PositiveInt = 30

    @model_validator(mode="after")
    def _the_server_cancels_before_the_client_gives_up(self) -> Self:
        if self.db_call_timeout * 1000 <= self.db_statement_timeout_ms:
            raise ValueError(
                "DB_CALL_TIMEOUT (seconds) must be longer than DB_STATEMENT_TIMEOUT_MS "
                "(milliseconds): the server must cancel a slow statement before the "
                "client gives up on the connection"
            )
        return self


class DatabaseSettings(BaseSettings):
    """What a one-off command on a service's database reads (seeds): DATABASE_URL alone."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str


class ServiceSettings(ProcessSettings):
    """An HTTP service with a database of its own, which verifies the callers' tokens."""

    # One URL drives both modes: the async and sync drivers are derived from it (see db/engines.py).
    # No default: a service pointed at no database must not start.
    database_url: str
    # Tokens are issued by users and verified everywhere with the public key alone; a
    # service without it would answer every request that carries a token with a 500.
    jwt_public_key: str
    jwt_issuer: str = "users"
    jwt_audience: str = "services"
    # How long users' tokens live; every service refuses a token made to live longer
    # (servicekit.security.tokens), so the issuer and the verifiers read the same setting.
    access_token_ttl_seconds: PositiveInt = 3600

    max_body_bytes: PositiveInt = 1024 * 1024

    # The fault switch (servicekit.faults.switch): injected latency, errors and slow statements
    # for comparisons and demonstrations. Off unless asked for, and never in production:
    # the admin route that sets it exists only when this is on, behind the token.
    faults_enabled: bool = False
    fault_admin_token: SecretStr | None = None
    # servicecontracts.faults.POLL_SECONDS, which writers wait twice for (a test holds
    # the two equal); servicekit imports that contract only when faults are enabled.
    fault_poll_seconds: PositiveFloat = 1.0

    @field_validator("jwt_public_key")
    @classmethod
    def _is_an_ed25519_key(cls, pem: str) -> str:
        from servicekit.core.public_key import load_public_key  # cryptography, once there is a key

        load_public_key(pem)
        return pem

    @model_validator(mode="after")
    def _faults_need_a_token(self) -> Self:
        token = self.fault_admin_token
        if self.faults_enabled and (token is None or len(token.get_secret_value()) < 16):
            raise ValueError("FAULTS_ENABLED=true needs FAULT_ADMIN_TOKEN, at least 16 characters")
        return self


def load_settings(cls: type[Settings]) -> Settings:
    """`cls()` from the environment, or exit with one line naming every bad setting."""
    try:
        return cls()
    except ValidationError as error:
        raise SystemExit(f"{cls.__name__}: {describe(error)}") from None


def describe(error: ValidationError) -> str:
    """'missing DATABASE_URL; invalid DB_POOL_SIZE (Input should be greater than 0)': the
    environment variables, never their values (a value may be a secret)."""
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        variable = "_".join(str(part) for part in detail["loc"]).upper()
        if detail["type"] == "missing":
            problems.append(f"missing {variable}")
        elif variable:
            problems.append(f"invalid {variable} ({detail['msg']})")
        else:  # a check across fields, whose message names them itself
            problems.append(detail["msg"].removeprefix("Value error, "))
    return "; ".join(problems)
