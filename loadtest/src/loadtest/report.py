"""The comparison report: per cell (mode x database x concurrency) throughput, latency
percentiles and errors; per database, where async starts to beat sync; two plots.

With the fault axis (conditions.py) the same table, verdicts and plots come once per
condition, after a sentence per database that says where async's lead is largest and
how large it is under each condition (async_lead.py), and a plot of that lead.

Pure functions of the measured cells, so a fixed input gives a fixed report (tested).
"""

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from loadtest.async_lead import conditions_of, lead_sentence, lead_series, leads
from loadtest.cells import GENERATOR_CPU_LIMIT, Cell
from loadtest.conditions import NO_FAULT, STATEMENT_SERVICE, UPSTREAM_SERVICE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# The target for every process of the system after a run.
RESIDENT_LIMIT_MB = 150.0
MODES = ("async", "sync")


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
    lines = [f"# {title}", "", f"Machine: {machine}", ""]
    if has_axis(cells):
        lines += _axis_sections(cells)
    else:
        lines += [*_table(cells), ""]
        lines += _generator_note(cells)
        lines += ["## Where async beats sync", "", *_verdicts(cells)]
    lines += _memory_section(memory)
    if not has_axis(cells):
        lines += ["", "![throughput](throughput.png)", "", "![latency](latency.png)"]
    lines.append("")
    return "\n".join(lines)


def has_axis(cells: Iterable[Cell]) -> bool:
    """Whether the run measured under faults: a report without them stays as it was."""
    return conditions_of(cells) != [NO_FAULT]


def _table(cells: Sequence[Cell]) -> list[str]:
    lines = [
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
    return lines


def _generator_note(cells: Sequence[Cell]) -> list[str]:
    bound = [c for c in cells if c.generator_bound]
    if not bound:
        return []
    return [
        f"⚠ The load generator used {GENERATOR_CPU_LIMIT:.0f}% of a core or more in "
        f"{len(bound)} cell(s): there it, not the service, set the pace, and those "
        "numbers say nothing about the service.",
        "",
    ]


def _verdicts(cells: Sequence[Cell]) -> list[str]:
    lines = []
    for database in sorted({c.database for c in cells}):
        level = async_wins_from(cells, database)
        verdict = f"from concurrency {level}" if level is not None else "never, at these levels"
        lines.append(f"- {database}: async serves more requests per second than sync {verdict}.")
    return lines


def _axis_sections(cells: Sequence[Cell]) -> list[str]:
    lines = [
        "Each condition is a fault switched on in the running system for its cells: "
        f"upstream latency is added to every response of {UPSTREAM_SERVICE} (items waits "
        f"on {UPSTREAM_SERVICE} for the owners of `expand=owner`); a slow statement runs "
        f"first in every database session of {STATEMENT_SERVICE}.",
        "",
        "## Where async wins, and by how much",
        "",
    ]
    databases = sorted({c.database for c in cells})
    lines += [f"- {lead_sentence(db, leads(cells, db))}" for db in databases]
    lines += ["", "![async's lead over sync](lead.png)", ""]
    for condition in conditions_of(cells):
        under = [c for c in cells if c.condition == condition]
        lines += [f"## {condition.label.capitalize()}", "", *_table(under), ""]
        lines += [*_verdicts(under), ""]
        lines += [
            f"![throughput, {condition.label}](throughput-{condition.slug}.png) "
            f"![latency, {condition.label}](latency-{condition.slug}.png)",
            "",
        ]
    lines += _generator_note(cells)
    return lines


def _memory_section(memory: Mapping[str, Mapping[str, float]] | None) -> list[str]:
    if not memory:
        return []
    lines = ["", "## Resident memory after the runs (MB)", ""]
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
    return lines


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
    if not has_axis(cells):
        _plot(cells, out_dir / "throughput.png", "rps", "requests per second")
        _plot(cells, out_dir / "latency.png", "p99_ms", "p99 latency (ms)")
        return out_dir / "report.md"
    for condition in conditions_of(cells):
        under = [c for c in cells if c.condition == condition]
        name = f"{under[0].scenario}, {condition.label}"
        throughput = out_dir / f"throughput-{condition.slug}.png"
        _plot(under, throughput, "rps", "requests per second", title=name)
        latency = out_dir / f"latency-{condition.slug}.png"
        _plot(under, latency, "p99_ms", "p99 latency (ms)", title=name)
    _plot_lead(cells, out_dir / "lead.png")
    return out_dir / "report.md"


def series(cells: Iterable[Cell], field: str) -> dict[str, list[tuple[int, float]]]:
    """`mode / database` -> [(concurrency, value)], sorted: one plotted line each."""
    lines: dict[str, list[tuple[int, float]]] = {}
    for cell in cells:
        lines.setdefault(f"{cell.mode} / {cell.database}", []).append(
            (cell.concurrency, getattr(cell, field))
        )
    return {label: sorted(points) for label, points in sorted(lines.items())}


def _plot(
    cells: Sequence[Cell], path: Path, field: str, ylabel: str, *, title: str | None = None
) -> None:
    pyplot = plotting()
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
    _finish(figure, axes, cells, path, ylabel, f"{title or cells[0].scenario}: {ylabel}")


def _plot_lead(cells: Sequence[Cell], path: Path) -> None:
    """async rps / sync rps by concurrency: one colour per condition, one line style
    per database; above the line at 1, async serves more."""
    pyplot = plotting()
    figure, axes = pyplot.subplots(figsize=(8, 5))
    colours = {condition: f"C{n}" for n, condition in enumerate(conditions_of(cells))}
    databases = sorted({c.database for c in cells})
    styles = {db: ("-", "--", ":", "-.")[n % 4] for n, db in enumerate(databases)}
    for (database, condition), points in lead_series(cells).items():
        axes.plot(
            *zip(*points, strict=True),
            styles[database],
            color=colours[condition],
            marker="o",
            label=f"{database}, {condition.label}",
        )
    axes.axhline(1.0, color="grey", linewidth=1)
    ylabel = "async rps / sync rps"
    _finish(figure, axes, cells, path, ylabel, f"{cells[0].scenario}: async's lead over sync")


def plotting() -> ModuleType:
    """pyplot, imported when a plot is drawn: the report's numbers do without it."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    from matplotlib import pyplot

    return pyplot


def _finish(
    figure: "Figure", axes: "Axes", cells: Sequence[Cell], path: Path, ylabel: str, title: str
) -> None:
    levels = sorted({c.concurrency for c in cells})
    axes.set_xscale("log", base=2)
    axes.set_xticks(levels, [str(level) for level in levels])
    axes.set_ylim(bottom=0)
    axes.set_xlabel("concurrency (simulated users)")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plotting().close(figure)
