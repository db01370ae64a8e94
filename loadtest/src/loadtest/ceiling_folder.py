"""The report folder of a `make bench-ceiling` run, laid out as `make bench`'s is, so
that one `make docs-report` takes either:

    ceiling.json   every figure, the ratios and the verdicts (what the run always wrote)
    report.md      the table and the targets, with the machine
    ceiling.png    requests per second by row, servicekit's rows beside the baselines
"""

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from loadtest.ceiling_report import SERVICEKIT_ROWS, TARGETS, Result, unchecked, verdicts
from loadtest.report import plotting

TITLE = "make bench-ceiling: each app alone on one core, wrk on the other"


def write_ceiling_report(
    results: Mapping[str, Result],
    folder: Path,
    *,
    concurrency: int,
    seconds: float,
    rounds: int,
    machine: str,
    measured_at: datetime,
) -> Path:
    """Writes the folder; its report.md's path."""
    folder.mkdir(parents=True, exist_ok=True)
    run = f"concurrency {concurrency}, {rounds} round(s) of {seconds:g} s, the median counts"
    ratios = {
        f"{key}/{reference}": results[key].rps / results[reference].rps
        for key, reference, _ in TARGETS
        if key in results and reference in results
    }
    figures = {
        "concurrency": concurrency,
        "seconds": seconds,
        "rounds": rounds,
        "machine": machine,
        "results": [result.to_json() for result in results.values()],
        "ratios": ratios,
        "verdicts": [{"target": v.text, "met": v.met} for v in verdicts(results)],
        "measured_at": f"{measured_at:%Y-%m-%dT%H:%M:%SZ}",
    }
    (folder / "ceiling.json").write_text(json.dumps(figures, indent=2))
    report = folder / "report.md"
    report.write_text(render_markdown(results, machine=f"{machine}; {run}"))
    _plot(results, folder / "ceiling.png")
    return report


def render_markdown(results: Mapping[str, Result], *, machine: str) -> str:
    lines = [f"# {TITLE}", "", f"Machine: {machine}", ""]
    lines += [
        "| | app | rps | p50 ms | p99 ms | errors | gc 0/1/2 | gc % | longest pause ms |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results.values():
        collections = "/".join(str(n) for n in r.gc.collections)
        lines.append(
            f"| ({r.key}) | {r.label} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.errors} | {collections} | {r.gc.gc_percent:.1f} | {r.gc.max_pause_ms:.1f} |"
        )
    lines += ["", "## Targets", ""]
    for verdict in verdicts(results):
        figure, _, target = verdict.text.partition("   ")
        lines.append(f"- {figure}, {target}: {'meets' if verdict.met else '**misses**'}")
    if missing := unchecked(results):
        lines += ["", f"Not checked (rows not measured): {', '.join(missing)}."]
    lines += ["", "![requests per second by row](ceiling.png)", ""]
    return "\n".join(lines)


def _plot(results: Mapping[str, Result], path: Path) -> None:
    pyplot = plotting()
    rows = list(results.values())
    figure, axes = pyplot.subplots(figsize=(8, 0.4 * len(rows) + 1.5))
    labels = [f"({r.key}) {r.label}" for r in rows]
    # servicekit's rows in one colour, the baselines they are measured against in another.
    colours = ["C0" if r.key in SERVICEKIT_ROWS else "C1" for r in rows]
    axes.barh(labels, [r.rps for r in rows], color=colours)
    axes.invert_yaxis()  # the table's order, top to bottom
    axes.set_xlabel("requests per second (median round)")
    axes.set_title("each app alone on one core: servicekit (blue), baselines (orange)")
    axes.grid(True, axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
