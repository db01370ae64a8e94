"""The fault switch of a service: injected latency, errors and slow statements, switched
at run time without a restart, for the comparisons where waiting is what matters.

The fault of service S is the JSON of a `Fault` in Redis under `fault_key(S)`, in the
Redis the services use (REDIS_URL); no key means no fault. Every replica of S started
with FAULTS_ENABLED=true reads the key every `POLL_SECONDS` (servicekit.faults.switch), so a
writer (a service's own `/admin/fault`, `make bench`, the Locust UI) sets it with

    r.set(fault_key("users"), Fault(latency_ms=100).model_dump_json())

clears it with `r.delete(fault_key("users"))`, and waits 2 x POLL_SECONDS before it
relies on the change: by then every replica has read it.
"""

from pydantic import BaseModel, ConfigDict, Field

KEY_PREFIX = "faults"
POLL_SECONDS = 1.0
# A minute bounds every delay: longer would only hold connections and threads for nothing.
MAX_DELAY_MS = 60_000


class Fault(BaseModel):
    """What a service does to its data requests while the fault is on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Added to each data response of the service.
    latency_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    # The fraction of data requests answered 503 before the handler runs: no side effect.
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    # A sleeping statement (pg_sleep / SLEEP) each request's database session runs first.
    slow_statement_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.slow_statement_ms)


def fault_key(service: str) -> str:
    """`faults:<service>`: where the fault of every replica of `service` is kept."""
    return f"{KEY_PREFIX}:{service}"
