"""The fault switch of a service, as the faults work specifies it (the lead keeps that
version on merge): the JSON of a `Fault` in Redis under `fault_key(service)`; no key
means no fault. Services started with FAULTS_ENABLED=true read it every POLL_SECONDS."""

from pydantic import BaseModel, ConfigDict, Field

POLL_SECONDS = 1.0


class Fault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Added to each data response of the service (an asyncio sleep in its middleware).
    latency_ms: int = Field(0, ge=0, le=60_000)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    # Each request's database session runs pg_sleep / SLEEP first.
    slow_statement_ms: int = Field(0, ge=0, le=60_000)

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.slow_statement_ms)


def fault_key(service: str) -> str:
    return f"faults:{service}"
