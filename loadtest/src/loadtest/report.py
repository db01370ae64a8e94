"""The comparison report: per cell (mode x database x concurrency) throughput, latency
percentiles and errors; per database, where async starts to beat sync; two plots.

Pure functions of the measured cells, so a fixed input gives a fixed report (tested).
"""

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

# At or above this, the load generator, not the service, set the pace.
GENERATOR_CPU_LIMIT = 90.0
# The target for every process of the system after a run.
RESIDENT_LIMIT_MB = 150.0
MODES = ("async", "sync")


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

    @property
    def generator_bound(self) -> bool:
        return self.generator_cpu >= GENERATOR_CPU_LIMIT


def async_wins_from(cells: Iterable[Cell], database: str) -> int | None:
    """The lowest concurrency at which async serves more requests per second than sync
    on `database`, among cells whose numbers mean something; None when it never does."""
    by_level: dict[int, dict[str, Cell]] = {}
    for cell in cells:
        if cell.database == database:
            by_level.setdefault(cell.concurrency, {})[cell.mode] = cell
    for level in sorted(by_level):
        pair = by_level[level]
        if set(pair) != set(MODES) or any(c.generator_bound for c in pair.values()):
            continue
        if pair["async"].rps > pair["sync"].rps:
            return level
    return None


def render_markdown(
    cells: Sequence[Cell],
    *,
    title: str,
    machine: str,
    memory: Mapping[str, Mapping[str, float]] | None = None,
) -> str:
    cells = sorted(cells, key=lambda c: (c.database, c.concurrency, c.mode))
    databases = sorted({c.database for c in cells})
    lines = [f"# {title}", "", f"Machine: {machine}", ""]
    lines += [
        "| database | concurrency | mode | rps | p50 ms | p95 ms | p99 ms | requests | errors "
        "| Locust CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        flag = " ⚠" if c.generator_bound else ""
        lines.append(
            f"| {c.database} | {c.concurrency} | {c.mode} | {c.rps:.1f}{flag} | {c.p50_ms:.0f} "
            f"| {c.p95_ms:.0f} | {c.p99_ms:.0f} | {c.requests} | {c.failures} "
            f"| {c.generator_cpu:.0f}% |"
        )
    lines.append("")
    bound = [c for c in cells if c.generator_bound]
    if bound:
        lines += [
            f"⚠ The load generator used {GENERATOR_CPU_LIMIT:.0f}% of a core or more in "
            f"{len(bound)} cell(s): there it, not the service, set the pace, and those "
            "numbers say nothing about the service.",
            "",
        ]
    lines += ["## Where async beats sync", ""]
    for database in databases:
        level = async_wins_from(cells, database)
        verdict = f"from concurrency {level}" if level is not None else "never, at these levels"
        lines.append(f"- {database}: async serves more requests per second than sync {verdict}.")
    if memory:
        lines += ["", "## Resident memory after the runs (MB)", ""]
        names = sorted({name for per_process in memory.values() for name in per_process})
        lines += [f"| database | {' | '.join(names)} |", f"|---|{'---:|' * len(names)}"]
        for database, per_process in sorted(memory.items()):
            values = [
                f"{per_process[n]:.0f}{' ⚠' if per_process[n] >= RESIDENT_LIMIT_MB else ''}"
                if n in per_process
                else "-"
                for n in names
            ]
            lines.append(f"| {database} | {' | '.join(values)} |")
        sizes = [mb for per_process in memory.values() for mb in per_process.values()]
        if max(sizes, default=0) >= RESIDENT_LIMIT_MB:
            lines += ["", f"⚠: at or above the {RESIDENT_LIMIT_MB:.0f} MB target."]
        else:
            lines += ["", f"Every process stayed under the {RESIDENT_LIMIT_MB:.0f} MB target."]
    lines += ["", "![throughput](throughput.png)", "", "![latency](latency.png)", ""]
    return "\n".join(lines)


def write_report(
    cells: Sequence[Cell],
    out_dir: Path,
    *,
    title: str,
    machine: str,
    memory: Mapping[str, Mapping[str, float]] | None = None,
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = render_markdown(cells, title=title, machine=machine, memory=memory)
    (out_dir / "report.md").write_text(report)
    (out_dir / "memory.json").write_text(json.dumps(memory or {}, indent=2))
    (out_dir / "cells.json").write_text(
        json.dumps([asdict(c) | {"generator_bound": c.generator_bound} for c in cells], indent=2)
    )
    with (out_dir / "cells.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(asdict(cells[0])))
        writer.writeheader()
        writer.writerows(asdict(c) for c in cells)
    _plot(cells, out_dir / "throughput.png", "rps", "requests per second")
    _plot(cells, out_dir / "latency.png", "p99_ms", "p99 latency (ms)")
    return out_dir / "report.md"


def series(cells: Iterable[Cell], field: str) -> dict[str, list[tuple[int, float]]]:
    """`mode / database` -> [(concurrency, value)], sorted: one plotted line each."""
    lines: dict[str, list[tuple[int, float]]] = {}
    for cell in cells:
        lines.setdefault(f"{cell.mode} / {cell.database}", []).append(
            (cell.concurrency, getattr(cell, field))
        )
    return {label: sorted(points) for label, points in sorted(lines.items())}


def _plot(cells: Sequence[Cell], path: Path, field: str, ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 5))
    # One colour per database, solid for async and dashed for sync.
    databases = sorted({c.database for c in cells})
    colours = {db: f"C{n}" for n, db in enumerate(databases)}
    for label, points in series(cells, field).items():
        mode, database = label.split(" / ")
        style = "-" if mode == "async" else "--"
        axes.plot(
            *zip(*points, strict=True), style, color=colours[database], marker="o", label=label
        )
    levels = sorted({c.concurrency for c in cells})
    axes.set_xscale("log", base=2)
    axes.set_xticks(levels, [str(level) for level in levels])
    axes.set_ylim(bottom=0)
    axes.set_xlabel("concurrency (simulated users)")
    axes.set_ylabel(ylabel)
    axes.set_title(f"{cells[0].scenario}: {ylabel}")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
