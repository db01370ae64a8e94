from pydantic import BaseModel, ConfigDict, Field

POLL_SECONDS = 1.0


class Fault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    latency_ms: int = Field(0, ge=0, le=60_000)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    slow_statement_ms: int = Field(0, ge=0, le=60_000)

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.slow_statement_ms)


def fault_key(service: str) -> str:
    return f"faults:{service}"
