"""PromQL for the panels: the shapes every dashboard repeats (a summed rate, a ratio of
two rates, a histogram quantile), written once so that every rate uses Grafana's
`$__rate_interval` and every multi-value variable is matched with `=~`.

    rate_sum("http_requests_total", SERVICE_MODE, by=("service", "mode"))
    -> 'sum by (service, mode) (rate(http_requests_total{service=~"$service",
        mode=~"$mode"}[$__rate_interval]))'

Queries of another shape are written out in the dashboard modules as they are.
"""

from collections.abc import Sequence

RATE_INTERVAL = "$__rate_interval"
RANGE = "$__range"

Matchers = Sequence[str]


def variable(label: str, name: str | None = None) -> str:
    """`label=~"$name"`: a multi-value variable ("All" included) as a regex matcher."""
    return f'{label}=~"${name or label}"'


def equals(label: str, value: str) -> str:
    return f'{label}="{value}"'


def selector(metric: str, matchers: Matchers = ()) -> str:
    """`metric{a, b}`, or the bare metric name without matchers."""
    return f"{metric}{{{', '.join(matchers)}}}" if matchers else metric


def aggregated(operator: str, expr: str, by: Sequence[str] = ()) -> str:
    """`op(expr)`, or `op by (labels) (expr)`."""
    return f"{operator} by ({', '.join(by)}) ({expr})" if by else f"{operator}({expr})"


def summed(expr: str, by: Sequence[str] = ()) -> str:
    return aggregated("sum", expr, by)


def maximum(expr: str, by: Sequence[str] = ()) -> str:
    return aggregated("max", expr, by)


def rate(metric: str, matchers: Matchers = (), window: str = RATE_INTERVAL) -> str:
    return f"rate({selector(metric, matchers)}[{window}])"


def rate_sum(metric: str, matchers: Matchers = (), by: Sequence[str] = ()) -> str:
    """Per-second rate of a counter, summed (by the labels given)."""
    return summed(rate(metric, matchers), by)


def increase_in_range(metric: str, matchers: Matchers = ()) -> str:
    """How much a counter grew over the dashboard's time range, summed."""
    return summed(f"increase({selector(metric, matchers)}[{RANGE}])")


def rate_ratio(metric: str, matchers: Matchers, part: Matchers, by: Sequence[str] = ()) -> str:
    """The share of a counter's rate that also matches `part` (5xx of all answers)."""
    return f"{rate_sum(metric, [*matchers, *part], by)} / {rate_sum(metric, matchers, by)}"


def quantile(q: float, histogram: str, matchers: Matchers = (), by: Sequence[str] = ()) -> str:
    """The q-quantile of a Prometheus histogram (`histogram` without `_bucket`)."""
    buckets = rate_sum(f"{histogram}_bucket", matchers, by=[*by, "le"])
    return f"histogram_quantile({q}, {buckets})"
