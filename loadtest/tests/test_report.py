"""The report from a fixed set of cells, checked number by number."""

import json
from pathlib import Path

from loadtest.cells import Cell
from loadtest.report import async_wins_from, render_markdown, series, write_report


def cell(
    mode: str,
    database: str,
    concurrency: int,
    rps: float,
    *,
    cpu: float = 40.0,
    failures: int = 0,
    p99: float = 30.0,
) -> Cell:
    return Cell(
        scenario="UsersRead",
        mode=mode,
        database=database,
        concurrency=concurrency,
        requests=int(rps * 30),
        failures=failures,
        rps=rps,
        p50_ms=10.0,
        p95_ms=20.0,
        p99_ms=p99,
        generator_cpu=cpu,
    )


CELLS = [
    # postgres: sync ahead at 1 and 4, async ahead from 16.
    cell("async", "postgres", 1, 100.0),
    cell("sync", "postgres", 1, 120.0),
    cell("async", "postgres", 4, 300.0),
    cell("sync", "postgres", 4, 310.0),
    cell("async", "postgres", 16, 600.0, p99=80.0),
    cell("sync", "postgres", 16, 450.0, p99=150.5),
    # mysql: async ahead at 4, but the generator was saturated there; ahead again at 16.
    cell("async", "mysql", 4, 500.0, cpu=95.0),
    cell("sync", "mysql", 4, 200.0),
    cell("async", "mysql", 16, 410.0),
    cell("sync", "mysql", 16, 400.0, failures=3),
    # The same, with sync never behind.
    cell("async", "other", 1, 10.0),
    cell("sync", "other", 1, 10.0),
]


def test_async_wins_from_the_first_level_with_meaningful_numbers() -> None:
    assert async_wins_from(CELLS, "postgres") == 16
    assert async_wins_from(CELLS, "mysql") == 16  # 4 is generator-bound: not counted
    assert async_wins_from(CELLS, "other") is None  # a tie is no win
    assert async_wins_from(CELLS, "absent") is None


def test_the_markdown_holds_every_cell_and_the_verdicts() -> None:
    text = render_markdown(CELLS, title="users read", machine="2 cores")
    lines = text.splitlines()
    assert lines[0] == "# users read"
    assert "| postgres | 16 | async | 600.0 | 10 | 20 | 80 | 18000 | 0 | 40% |" in lines
    assert "| postgres | 16 | sync | 450.0 | 10 | 20 | 150 | 13500 | 0 | 40% |" in lines
    assert "| mysql | 4 | async | 500.0 ⚠ | 10 | 20 | 30 | 15000 | 0 | 95% |" in lines
    assert "| mysql | 16 | sync | 400.0 | 10 | 20 | 30 | 12000 | 3 | 40% |" in lines
    assert sum(line.startswith("| ") and "---" not in line for line in lines) == 13  # + header
    assert "in 1 cell(s)" in text
    assert (
        "- postgres: async serves more requests per second than sync from concurrency 16." in lines
    )
    assert "- mysql: async serves more requests per second than sync from concurrency 16." in lines
    assert (
        "- other: async serves more requests per second than sync never, at these levels." in lines
    )


def test_series_are_one_sorted_line_per_mode_and_database() -> None:
    lines = series(CELLS, "rps")
    assert list(lines) == [
        "async / mysql",
        "async / other",
        "async / postgres",
        "sync / mysql",
        "sync / other",
        "sync / postgres",
    ]
    assert lines["async / postgres"] == [(1, 100.0), (4, 300.0), (16, 600.0)]
    assert lines["sync / mysql"] == [(4, 200.0), (16, 400.0)]


def test_the_report_folder_has_the_report_plots_and_raw_data(tmp_path: Path) -> None:
    write_report(CELLS, tmp_path, title="users read", machine="2 cores")

    assert (tmp_path / "report.md").read_text().startswith("# users read")
    for plot in ("throughput.png", "latency.png"):
        assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    raw = json.loads((tmp_path / "cells.json").read_text())
    assert len(raw) == len(CELLS)
    assert raw[6]["generator_bound"] is True
    assert raw[6]["rps"] == 500.0
    rows = (tmp_path / "cells.csv").read_text().splitlines()
    assert rows[0].startswith("scenario,mode,database,concurrency,requests,failures,rps")
    assert len(rows) == len(CELLS) + 1


def test_memory_above_the_target_is_flagged() -> None:
    memory = {"postgres": {"users": 92.4, "worker": 151.0}, "mysql": {"users": 88.0}}
    lines = render_markdown(CELLS, title="t", machine="m", memory=memory).splitlines()
    assert "| database | users | worker |" in lines
    assert "| mysql | 88 | - |" in lines
    assert "| postgres | 92 | 151 ⚠ |" in lines
    assert "⚠: at or above the 150 MB target." in lines
    modest = render_markdown(CELLS, title="t", machine="m", memory={"mysql": {"users": 88.0}})
    assert "Every process stayed under the 150 MB target." in modest.splitlines()
