"""The report of a run with the fault axis, from a fixed set of cells: a section per
condition with today's table, verdicts and plots, and per database the sentence that
says where async wins and by how much."""

import json
from pathlib import Path

import pytest

from loadtest.async_lead import Lead, lead_sentence, lead_series, leads, ratios
from loadtest.cells import Cell
from loadtest.conditions import NO_FAULT, Condition
from loadtest.report import has_axis, render_markdown, write_report

UPSTREAM_100 = Condition(upstream_latency_ms=100)
STATEMENT_50 = Condition(slow_statement_ms=50)


def cell(
    mode: str,
    database: str,
    concurrency: int,
    rps: float,
    condition: Condition = NO_FAULT,
    *,
    cpu: float = 40.0,
) -> Cell:
    return Cell(
        scenario="ItemsOwners",
        mode=mode,
        database=database,
        concurrency=concurrency,
        requests=int(rps * 10),
        failures=0,
        rps=rps,
        p50_ms=10.0,
        p95_ms=20.0,
        p99_ms=30.0,
        generator_cpu=cpu,
        upstream_latency_ms=condition.upstream_latency_ms,
        slow_statement_ms=condition.slow_statement_ms,
    )


def pair(
    database: str,
    concurrency: int,
    async_rps: float,
    sync_rps: float,
    condition: Condition = NO_FAULT,
    *,
    async_cpu: float = 40.0,
) -> list[Cell]:
    return [
        cell("async", database, concurrency, async_rps, condition, cpu=async_cpu),
        cell("sync", database, concurrency, sync_rps, condition),
    ]


CELLS = [
    # postgres: the lead grows with the upstream latency; slow statements barely move it.
    *pair("postgres", 1, 100.0, 100.0),
    *pair("postgres", 64, 700.0, 500.0),
    *pair("postgres", 1, 9.0, 9.0, UPSTREAM_100),
    *pair("postgres", 64, 310.0, 100.0, UPSTREAM_100),
    *pair("postgres", 1, 19.0, 20.0, STATEMENT_50),
    *pair("postgres", 64, 210.0, 200.0, STATEMENT_50),
    # mysql: the 100 ms cell at 64 users is generator-bound, so it does not count.
    *pair("mysql", 1, 80.0, 80.0),
    *pair("mysql", 64, 600.0, 400.0),
    *pair("mysql", 1, 9.0, 9.0, UPSTREAM_100),
    *pair("mysql", 64, 900.0, 100.0, UPSTREAM_100, async_cpu=95.0),
    *pair("mysql", 1, 10.0, 10.0, STATEMENT_50),
    *pair("mysql", 64, 180.0, 200.0, STATEMENT_50),
]


def test_ratios_count_only_levels_with_both_modes_and_a_generator_that_kept_up() -> None:
    assert ratios(CELLS, "postgres", UPSTREAM_100) == [(1, 1.0), (64, 3.1)]
    assert ratios(CELLS, "mysql", UPSTREAM_100) == [(1, 1.0)]
    assert ratios([*CELLS, cell("async", "mysql", 16, 50.0)], "mysql", NO_FAULT) == [
        (1, 1.0),
        (64, 1.5),
    ]
    assert ratios(pair("x", 4, 10.0, 0.0), "x", NO_FAULT) == []  # sync served nothing


def test_the_lead_per_condition_is_the_largest_ratio_in_axis_order() -> None:
    assert leads(CELLS, "postgres") == [
        Lead(NO_FAULT, 64, 1.4),
        Lead(UPSTREAM_100, 64, 3.1),
        Lead(STATEMENT_50, 64, 1.05),
    ]
    # A tie goes to the lowest level.
    assert leads(CELLS, "mysql") == [
        Lead(NO_FAULT, 64, 1.5),
        Lead(UPSTREAM_100, 1, 1.0),
        Lead(STATEMENT_50, 1, 1.0),
    ]


def test_the_sentence_says_where_async_wins_most_then_each_other_condition() -> None:
    assert lead_sentence("postgres", leads(CELLS, "postgres")) == (
        "On postgres, async serves 3.10× the requests per second of sync with 100 ms "
        "upstream latency, at 64 users; with no fault, 1.40× (64 users); with slow "
        "statements of 50 ms, 1.05× (64 users)."
    )
    assert lead_sentence("mysql", leads(CELLS, "mysql")) == (
        "On mysql, async serves 1.50× the requests per second of sync with no fault, at 64 "
        "users; with 100 ms upstream latency, 1.00× (1 user); with slow statements of "
        "50 ms, 1.00× (1 user)."
    )


def test_the_sentence_says_so_when_async_never_wins_or_nothing_compares() -> None:
    behind = [*pair("other", 1, 9.0, 10.0), *pair("other", 1, 5.0, 5.0, UPSTREAM_100)]
    assert lead_sentence("other", leads(behind, "other")) == (
        "On other, async serves no more requests per second than sync under any condition: "
        "at best 1.00× (with 100 ms upstream latency, 1 user)."
    )
    assert lead_sentence("empty", leads(behind, "empty")) == (
        "On empty, no concurrency level has both modes measured with a load generator that "
        "kept up: nothing to compare."
    )


def test_the_lead_series_is_one_line_per_database_and_condition() -> None:
    lines = lead_series(CELLS)
    assert list(lines) == [
        ("mysql", NO_FAULT),
        ("mysql", UPSTREAM_100),
        ("mysql", STATEMENT_50),
        ("postgres", NO_FAULT),
        ("postgres", UPSTREAM_100),
        ("postgres", STATEMENT_50),
    ]
    assert lines["postgres", UPSTREAM_100] == [(1, 1.0), (64, pytest.approx(3.1))]


def test_the_markdown_has_the_sentences_then_a_section_per_condition() -> None:
    text = render_markdown(CELLS, title="items owners", machine="2 cores")
    lines = text.splitlines()

    assert lines[0] == "# items owners"
    assert lines.index("## Where async wins, and by how much") < lines.index("## No fault")
    assert lines.index("## No fault") < lines.index("## 100 ms upstream latency")
    assert lines.index("## 100 ms upstream latency") < lines.index("## Slow statements of 50 ms")
    assert "- " + lead_sentence("postgres", leads(CELLS, "postgres")) in lines
    assert "- " + lead_sentence("mysql", leads(CELLS, "mysql")) in lines
    assert "![async's lead over sync](lead.png)" in lines

    upstream = lines[lines.index("## 100 ms upstream latency") :]
    upstream = upstream[: upstream.index("## Slow statements of 50 ms")]
    assert "| postgres | 64 | async | 310.0 | 10 | 20 | 30 | 3100 | 0 | 40% |" in upstream
    assert "| mysql | 64 | async | 900.0 ⚠ | 10 | 20 | 30 | 9000 | 0 | 95% |" in upstream
    assert sum(line.startswith("| ") and "---" not in line for line in upstream) == 9
    assert (
        "- postgres: async serves more requests per second than sync from concurrency 64."
        in upstream
    )
    assert (
        "![throughput, 100 ms upstream latency](throughput-upstream-100ms.png) "
        "![latency, 100 ms upstream latency](latency-upstream-100ms.png)" in upstream
    )
    assert "in 1 cell(s)" in text
    assert "throughput.png" not in text


def test_a_run_without_faults_is_no_axis() -> None:
    assert has_axis(CELLS)
    assert not has_axis([c for c in CELLS if c.condition == NO_FAULT])


def test_the_report_folder_has_a_plot_pair_per_condition_and_the_lead(tmp_path: Path) -> None:
    write_report(CELLS, tmp_path, title="items owners", machine="2 cores")

    for name in ("no-fault", "upstream-100ms", "statement-50ms"):
        for plot in (f"throughput-{name}.png", f"latency-{name}.png"):
            assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", plot
    assert (tmp_path / "lead.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "throughput.png").exists()
    raw = json.loads((tmp_path / "cells.json").read_text())
    assert [(c["upstream_latency_ms"], c["slow_statement_ms"]) for c in raw[6:8]] == [(100, 0)] * 2
    header = (tmp_path / "cells.csv").read_text().splitlines()[0]
    assert header.endswith(",generator_cpu,upstream_latency_ms,slow_statement_ms")
