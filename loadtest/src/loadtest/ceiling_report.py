"""What `make bench-ceiling` found: each row's figures, the targets and their verdicts.

Pure functions of the measured figures, so that the verdicts can be checked with fixed
input.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loadtest.gc_probe import GcFigures

# (row, reference row, least ratio of their requests/s)
TARGETS = (
    ("a", "c", 0.75),  # async users list / raw asyncpg
    ("a", "b", 1.10),  # the async users list keeps the driver's lead over the sync one
    ("b", "h", 0.75),  # sync users list / raw psycopg in a def handler
    ("i", "k", 0.60),  # async tasks list / raw asyncmy
    ("j", "l", 0.75),  # sync tasks list / raw PyMySQL in a def handler
    ("m", "o", 0.75),  # async items list / raw asyncpg
    ("e", "d", 0.8),  # servicekit's middleware, observed / plain FastAPI
    ("a", "g", 0.90),  # observing a request costs the users list at most 10%
)
# The services' list rows, whose p99 may be at most MAX_TAIL x their p50: a collection
# pause or a queue shows there first.
TAIL_ROWS = ("a", "b", "g", "i", "j", "m", "n")
MAX_TAIL = 3.0
# On every row served by servicekit: the collector's share of the server's CPU, and its
# longest pause. The baselines' figures are printed, not judged: they are plain FastAPI
# apps with CPython's default collector, which servicekit.core.collector changes.
SERVICEKIT_ROWS = ("a", "b", "e", "f", "g", "i", "j", "m", "n")
MAX_GC_PERCENT = 3.0
MAX_PAUSE_MS = 10.0


@dataclass(frozen=True)
class Result:
    key: str
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    gc: GcFigures

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"gc": self.gc.to_json()}


def median_result(runs: Sequence[Result]) -> Result:
    """The run of median throughput, with the errors of every run and the longest
    collection pause of any run: what went wrong once counts."""
    middle = sorted(runs, key=lambda run: run.rps)[(len(runs) - 1) // 2]
    longest = max(run.gc.max_pause_seconds for run in runs)
    return dataclasses.replace(
        middle,
        errors=sum(run.errors for run in runs),
        gc=dataclasses.replace(middle.gc, max_pause_seconds=longest),
    )


@dataclass(frozen=True)
class Verdict:
    # The figure and its target, as printed.
    text: str
    met: bool

    def line(self) -> str:
        return f"{self.text}: {'meets' if self.met else 'misses'}"


def verdicts(results: Mapping[str, Result]) -> list[Verdict]:
    """Every target whose rows were measured (a run of some rows checks what it can)."""
    found = []
    for key, reference, least in TARGETS:
        if key in results and reference in results:
            ratio = results[key].rps / results[reference].rps
            text = f"({key}) / ({reference}) = {ratio:.2f}   target >= {least}"
            found.append(Verdict(text, ratio >= least))
    for key in TAIL_ROWS:
        if key in results:
            p50, p99 = results[key].p50_ms, results[key].p99_ms
            tail = p99 / p50 if p50 > 0 else float("inf")
            text = f"({key}) p99 / p50 = {tail:.1f}   target <= {MAX_TAIL:g}"
            found.append(Verdict(text, tail <= MAX_TAIL))
    for key, result in results.items():
        if key not in SERVICEKIT_ROWS:
            continue
        gc = result.gc
        text = (
            f"({key}) GC {gc.gc_percent:.1f}% of CPU, longest pause {gc.max_pause_ms:.1f} ms"
            f"   target < {MAX_GC_PERCENT:g}%, <= {MAX_PAUSE_MS:g} ms"
        )
        met = gc.gc_percent < MAX_GC_PERCENT and gc.max_pause_ms <= MAX_PAUSE_MS
        found.append(Verdict(text, met))
    return found


def unchecked(results: Mapping[str, Result]) -> list[str]:
    """The ratio targets a run of some rows leaves out."""
    return [
        f"({key}) / ({reference})"
        for key, reference, _ in TARGETS
        if key not in results or reference not in results
    ]


def render(results: Mapping[str, Result]) -> str:
    header = f"{'':4}{'app':<40}{'rps':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
    lines = [header + f"{'gc 0/1/2':>18}{'gc %':>7}{'max ms':>8}"]
    for r in results.values():
        collections = "/".join(str(n) for n in r.gc.collections)
        lines.append(
            f"({r.key}) {r.label:<40}{r.rps:>8.0f}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{r.errors:>7}"
            f"{collections:>18}{r.gc.gc_percent:>7.1f}{r.gc.max_pause_ms:>8.1f}"
        )
    lines.append("")
    lines += [verdict.line() for verdict in verdicts(results)]
    if missing := unchecked(results):
        lines.append(f"not checked (rows not measured): {', '.join(missing)}")
    return "\n".join(lines)
