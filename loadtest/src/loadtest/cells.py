"""One measured cell of the comparison (scenario x mode x database x concurrency, under
one condition of the fault axis): what the report and the async lead are computed from.
"""

from dataclasses import dataclass

from loadtest.conditions import Condition

# At or above this, the load generator, not the service, set the pace.
GENERATOR_CPU_LIMIT = 90.0


@dataclass(frozen=True)
class Cell:
    scenario: str
    mode: str
    database: str
    concurrency: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    generator_cpu: float  # percent of one core, averaged over the measured period
    # The fault axis's condition of the cell; both 0 without the axis.
    upstream_latency_ms: int = 0
    slow_statement_ms: int = 0

    @property
    def generator_bound(self) -> bool:
        return self.generator_cpu >= GENERATOR_CPU_LIMIT

    @property
    def condition(self) -> Condition:
        return Condition(self.upstream_latency_ms, self.slow_statement_ms)
