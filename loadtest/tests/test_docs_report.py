"""`make docs-report`: report folders written by the report code itself, from fixed
cells and rows, go into a copy of the real load-test page, each into its own part."""

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.ceiling_folder import write_ceiling_report
from loadtest.ceiling_report import Result
from loadtest.cells import Cell
from loadtest.docs_report import ASSETS, PAGE, ReportError, main, publish, read_report
from loadtest.gc_probe import GcFigures
from loadtest.report import write_report

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("bench", "faults", "ceiling")


def cell(mode: str, database: str, users: int, rps: float, upstream_ms: int = 0) -> Cell:
    return Cell(
        scenario="ItemsOwners" if upstream_ms else "UsersRead",
        mode=mode,
        database=database,
        concurrency=users,
        requests=int(rps * 30),
        failures=0,
        rps=rps,
        p50_ms=10.0,
        p95_ms=20.0,
        p99_ms=30.0,
        generator_cpu=20.0,
        upstream_latency_ms=upstream_ms,
    )


CELLS = [
    cell(mode, database, users, rps * (1.5 if mode == "async" else 1.0))
    for mode in ("async", "sync")
    for database in ("postgres", "mysql")
    for users, rps in ((1, 300.0), (16, 450.0))
]
FAULT_CELLS = [
    *CELLS,
    *(cell(c.mode, c.database, c.concurrency, c.rps / 3, upstream_ms=100) for c in CELLS),
]
QUIET_GC = GcFigures(8.0, 6.0, (0, 0, 0), 0.0, 0.0, 0.0)
CEILING = {
    "a": Result("a", "users list, async", 1558.0, 19.5, 21.4, 0, QUIET_GC),
    "c": Result("c", "FastAPI + raw asyncpg", 2815.0, 11.0, 14.0, 0, QUIET_GC),
}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A docs folder holding a copy of the real page."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copyfile(ROOT / "docs" / PAGE, folder / PAGE)
    return folder


def bench_folder(reports: Path, cells: list[Cell], stamp: str = "20261207-184000") -> Path:
    folder = reports / stamp
    write_report(
        cells, folder, title="a run", machine="Linux x86_64, 2 cores; 30 s per cell", memory={}
    )
    return folder


def ceiling_folder(reports: Path) -> Path:
    folder = reports / "ceiling-20261207-190000"
    write_ceiling_report(
        CEILING,
        folder,
        concurrency=32,
        seconds=8,
        rounds=3,
        machine="Linux x86_64, 2 cores",
        measured_at=datetime(2026, 12, 7, 19, 0, tzinfo=UTC),
    )
    return folder


def part(page: str, kind: str) -> str:
    start, end = f"<!-- docs-report:{kind} -->", f"<!-- /docs-report:{kind} -->"
    return page.split(start)[1].split(end)[0]


def outside_parts(page: str) -> str:
    for kind in KINDS:
        page = page.replace(part(page, kind), "")
    return page


def test_the_real_page_has_one_part_of_each_kind() -> None:
    page = (ROOT / "docs" / PAGE).read_text()
    for kind in KINDS:
        assert page.count(f"<!-- docs-report:{kind} -->") == 1
        assert page.count(f"<!-- /docs-report:{kind} -->") == 1


def test_a_bench_run_replaces_its_part_and_no_other(docs: Path, tmp_path: Path) -> None:
    before = (docs / PAGE).read_text()
    folder = bench_folder(tmp_path / "reports", CELLS)

    publish(folder, docs)

    page = (docs / PAGE).read_text()
    assert outside_parts(page) == outside_parts(before)
    for kind in ("faults", "ceiling"):
        assert part(page, kind) == part(before, kind)
    bench = part(page, "bench")
    assert (
        "**a run**: measured 2026-12-07 18:40 UTC on Linux x86_64, 2 cores; 30 s per cell." in bench
    )
    assert "| postgres | 16 | async | 675.0 | 10 | 20 | 30 | 20250 | 0 | 20% |" in bench
    # The report's `## Where async beats sync` under the page's `### The last run`.
    assert "#### Where async beats sync" in bench.splitlines()
    assert "- mysql: async serves more requests per second than sync from concurrency 1." in bench
    assert "Machine:" not in bench
    shown = sorted(Path(target).name for target in images(bench))
    assert shown == ["latency.png", "throughput.png"]
    assert sorted(p.name for p in (docs / ASSETS / "bench").iterdir()) == [
        "cells.csv",
        "latency.png",
        "throughput.png",
    ]
    assert every_link_resolves(docs, bench)


def test_a_fault_axis_run_goes_into_the_fault_part(docs: Path, tmp_path: Path) -> None:
    before = (docs / PAGE).read_text()
    folder = bench_folder(tmp_path / "reports", FAULT_CELLS)
    assert read_report(folder).kind == "faults"

    publish(folder, docs)

    page = (docs / PAGE).read_text()
    assert part(page, "bench") == part(before, "bench")
    faults = part(page, "faults")
    assert "#### Where async wins, and by how much" in faults
    assert "lead.png" in faults
    assert every_link_resolves(docs, faults)


def test_a_ceiling_run_goes_into_the_ceiling_part(docs: Path, tmp_path: Path) -> None:
    folder = ceiling_folder(tmp_path / "reports")
    stored = json.loads((folder / "ceiling.json").read_text())
    assert stored["machine"] == "Linux x86_64, 2 cores"
    assert stored["measured_at"] == "2026-12-07T19:00:00Z"
    assert stored["ratios"] == {"a/c": pytest.approx(1558 / 2815)}

    publish(folder, docs)

    ceiling = part((docs / PAGE).read_text(), "ceiling")
    assert "measured 2026-12-07 19:00 UTC on Linux x86_64, 2 cores; concurrency 32" in ceiling
    assert "| (a) | users list, async | 1,558 | 19.5 | 21.4 | 0 | 0/0/0 | 0.0 | 0.0 |" in ceiling
    assert re.search(r"^- \(a\) / \(c\) = 0\.55, target >= [0-9.]+: \*\*misses\*\*$", ceiling, re.M)
    assert "#### Targets" in ceiling
    assert every_link_resolves(docs, ceiling)
    assert (docs / ASSETS / "ceiling" / "ceiling.json").is_file()


def test_a_second_run_replaces_the_first_and_its_plots(docs: Path, tmp_path: Path) -> None:
    publish(bench_folder(tmp_path / "reports", FAULT_CELLS), docs)
    first = sorted(p.name for p in (docs / ASSETS / "faults").iterdir())
    (docs / ASSETS / "faults" / "an-older-plot.png").write_bytes(b"")
    fewer = [c for c in FAULT_CELLS if c.database == "postgres"]
    later = bench_folder(tmp_path / "reports", fewer, stamp="20261208-090000")

    publish(later, docs)
    again = (docs / PAGE).read_text()
    publish(later, docs)

    assert (docs / PAGE).read_text() == again  # the same folder twice: the same page
    faults = part(again, "faults")
    assert "2026-12-08 09:00 UTC" in faults
    assert "2026-12-07" not in faults
    assert sorted(p.name for p in (docs / ASSETS / "faults").iterdir()) == first


def test_a_folder_without_a_report_is_refused_in_one_line(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "reports" / "20261207-184000"
    empty.mkdir(parents=True)

    assert main([str(empty), "--docs", str(docs)]) == 1

    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "holds no report.md" in error


def test_a_page_without_the_part_is_refused(docs: Path, tmp_path: Path) -> None:
    (docs / PAGE).write_text("# Load tests\n")
    with pytest.raises(ReportError, match="no part <!-- docs-report:ceiling -->"):
        publish(ceiling_folder(tmp_path / "reports"), docs)
    assert not (docs / ASSETS).exists()


def images(markdown: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


def every_link_resolves(docs: Path, markdown: str) -> bool:
    targets = re.findall(r"\]\(([^)#\s]+)\)", markdown)
    assert targets
    missing = [target for target in targets if not (docs / target).is_file()]
    assert not missing, missing
    return True
