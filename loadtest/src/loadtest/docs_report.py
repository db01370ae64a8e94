"""`make docs-report REPORT=reports/<dir>`: a measured run's tables and plots into the
load-test page, so that a reader sees the last run's answer without running anything.

    python -m loadtest.docs_report reports/20261207-184000

A report folder is what `make bench` writes (report.md, cells.json, its plots) or what
`make bench-ceiling` writes (report.md, ceiling.json, ceiling.png). Its kind names the
part of docs/load-tests.md it replaces, the lines between `<!-- docs-report:KIND -->`
and `<!-- /docs-report:KIND -->`:

    bench     `make bench` without faults       cells.json, every cell without a fault
    faults    `make bench` with the fault axis  cells.json, some cell under a fault
    ceiling   `make bench-ceiling`              ceiling.json

The report's own markdown goes in as the report code wrote it: its title, machine and
the run's date become the part's first line, its headings move below the page's, and
the plots it shows are copied into docs/load-tests/KIND/ with its data file (whatever
was there goes first, so no plot of an older run stays). No number is typed by hand.
"""

import argparse
import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.layout import repo_root
from loadtest.cells import Cell
from loadtest.report import has_axis

PAGE = "load-tests.md"
# Under the docs folder: one folder of plots and data per kind.
ASSETS = "load-tests"
# The page's parts sit under a `###` heading: the report's `##` become `####`.
HEADING_SHIFT = 2
# `make bench` names its folder reports/<stamp>, `make bench-ceiling` reports/ceiling-<stamp>.
STAMP = re.compile(r"(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})\d{2}$")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#+) ")


class ReportError(Exception):
    """What is wrong with a report folder or the page, in one line."""


@dataclass(frozen=True)
class Report:
    folder: Path
    kind: str
    # The file that holds every measured figure, copied beside the plots.
    data: Path


def read_report(folder: Path) -> Report:
    if not (folder / "report.md").is_file():
        raise ReportError(
            f"{folder} holds no report.md: name a folder that make bench or "
            "make bench-ceiling wrote (reports/<time>)"
        )
    if (folder / "ceiling.json").is_file():
        return Report(folder, "ceiling", folder / "ceiling.json")
    if (folder / "cells.json").is_file():
        cells = [Cell(**_cell_fields(c)) for c in json.loads((folder / "cells.json").read_text())]
        kind = "faults" if has_axis(cells) else "bench"
        data = folder / "cells.csv"
        return Report(folder, kind, data if data.is_file() else folder / "cells.json")
    raise ReportError(f"{folder} holds neither cells.json (make bench) nor ceiling.json")


def _cell_fields(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored cell's fields (cells.json adds `generator_bound`, which Cell computes)."""
    return {name: value for name, value in stored.items() if name != "generator_bound"}


def run_date(report: Report) -> str:
    """When the run ended: the stamp of the folder's name, else its data file's time."""
    if match := STAMP.search(report.folder.name):
        year, month, day, hour, minute = match.groups()
        return f"{year}-{month}-{day} {hour}:{minute} UTC"
    changed = datetime.fromtimestamp(report.data.stat().st_mtime, UTC)
    return f"{changed:%Y-%m-%d %H:%M} UTC"


def part_of_page(report: Report, markdown: str) -> tuple[str, list[str]]:
    """The page's part made of the report's markdown, and the plots it shows."""
    lines = markdown.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ReportError(f"{report.folder}/report.md does not start with its title")
    title = lines[0][2:].strip()
    machine = next((line for line in lines if line.startswith("Machine: ")), "")
    plots: list[str] = []

    def moved(match: re.Match[str]) -> str:
        alt, name = match.groups()
        if "/" in name or not (report.folder / name).is_file():
            raise ReportError(f"{report.folder}/report.md shows {name}, which the folder lacks")
        plots.append(name)
        return f"![{alt}]({ASSETS}/{report.kind}/{name})"

    body = []
    for line in lines[1:]:
        if line == machine:
            continue
        line = HEADING.sub(lambda m: "#" * (len(m.group(1)) + HEADING_SHIFT) + " ", line)
        body.append(IMAGE.sub(moved, line))
    measured = machine.removeprefix("Machine: ")
    data = f"{ASSETS}/{report.kind}/{report.data.name}"
    head = [
        f"**{title}**: measured {run_date(report)} on {measured}.",
        f"From the report folder `{report.folder.name}` by `make docs-report`; every figure "
        f"of the run: [{report.data.name}]({data}).",
    ]
    text = "\n".join([*head, *_without_blank_ends(body)])
    return re.sub(r"\n{3,}", "\n\n", text), plots


def _without_blank_ends(lines: list[str]) -> list[str]:
    text = "\n".join(lines).strip("\n")
    return ["", *text.splitlines()] if text else []


def replace_part(page: str, kind: str, part: str) -> str:
    start, end = f"<!-- docs-report:{kind} -->", f"<!-- /docs-report:{kind} -->"
    if page.count(start) != 1 or page.count(end) != 1 or page.index(start) > page.index(end):
        raise ReportError(f"the page has no part {start} ... {end} to replace")
    before, rest = page.split(start)
    _, after = rest.split(end)
    # Blank lines around the part: Markdown would take text right after a comment's line
    # into the comment's raw HTML block.
    return f"{before}{start}\n\n{part}\n\n{end}{after}"


def publish(folder: Path, docs: Path) -> Path:
    """Puts the report into the page and its plots beside it; the page's path."""
    report = read_report(folder)
    page = docs / PAGE
    if not page.is_file():
        raise ReportError(f"no {page}")
    part, plots = part_of_page(report, (folder / "report.md").read_text())
    text = replace_part(page.read_text(), report.kind, part)
    assets = docs / ASSETS / report.kind
    shutil.rmtree(assets, ignore_errors=True)
    assets.mkdir(parents=True)
    for name in [*plots, report.data.name]:
        shutil.copyfile(folder / name, assets / name)
    page.write_text(text)
    return page


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("report", type=Path, help="a run's report folder, reports/<time>")
    parser.add_argument("--docs", type=Path, default=repo_root() / "docs", help="the docs folder")
    args = parser.parse_args(argv)
    try:
        page = publish(args.report, args.docs)
    except ReportError as error:
        print(error, file=sys.stderr)
        return 1
    kind = read_report(args.report).kind
    print(f"{page}: the part {kind!r} is now {args.report}'s run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
