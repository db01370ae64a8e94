"""The ceiling benchmark's rows, its reading of wrk and its verdicts, from fixed input."""

from pathlib import Path

import pytest

from devstack.keys import ensure_dev_keypair
from loadtest.ceiling import ROWS, selected_rows
from loadtest.ceiling_report import (
    TAIL_ROWS,
    TARGETS,
    Result,
    median_result,
    render,
    unchecked,
    verdicts,
)
from loadtest.gc_probe import GcFigures
from loadtest.tokens import dev_token
from loadtest.wrk import parse_wrk
from servicekit.core.settings import ServiceSettings
from servicekit.security.tokens import TokenVerifier

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40001/api/users?limit=50
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.07ms    4.13ms  61.22ms   83.01%
    Req/Sec     1.53k   120.04     1.71k    79.00%
  Latency Distribution
     50%   20.31ms
     75%   22.48ms
     90%   25.61ms
     99%   37.90ms
  15234 requests in 10.01s, 95.34MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1521.87
Transfer/sec:      9.52MB
"""

# 1% of the CPU in the collector, longest pause 2 ms: within both targets.
QUIET_GC = GcFigures(8.0, 6.0, (900, 80, 0), 0.06, 0.07, 0.002)


def result(
    key: str, rps: float, p50: float = 10.0, p99: float = 20.0, gc: GcFigures = QUIET_GC
) -> Result:
    return Result(key, f"app {key}", rps, p50, p99, 0, gc)


def verdicts_of(results: dict[str, Result]) -> list[str]:
    return [verdict.line() for verdict in verdicts(results)]


def test_wrk_output_is_read_exactly() -> None:
    assert parse_wrk(WRK_OUTPUT) == (1521.87, 20.31, 37.9, 7)


def test_latency_units_are_converted_to_milliseconds() -> None:
    seconds = WRK_OUTPUT.replace("     99%   37.90ms", "     99%    1.20s")
    micros = WRK_OUTPUT.replace("     50%   20.31ms", "     50%  850.00us")
    assert parse_wrk(seconds).p99_ms == 1200.0
    assert parse_wrk(micros).p50_ms == 0.85


def test_output_without_a_latency_distribution_is_refused() -> None:
    without = WRK_OUTPUT.replace("     50%   20.31ms\n", "")
    with pytest.raises(ValueError, match="50%"):
        parse_wrk(without)


def test_the_row_letters_stay_and_every_target_names_rows() -> None:
    keys = [row.key for row in ROWS]
    assert keys == list("abcdefghijklmno")
    assert {key for target in TARGETS for key in target[:2]} <= set(keys)
    assert set(TAIL_ROWS) <= set(keys)


def test_each_list_is_measured_against_a_baseline_on_its_database() -> None:
    rows = {row.key: row for row in ROWS}
    pairs = {(key, reference) for key, reference, _ in TARGETS}
    baselines = {("a", "c"), ("b", "h"), ("i", "k"), ("j", "l"), ("m", "o")}
    assert baselines <= pairs
    for key, reference in baselines:
        assert rows[key].database == rows[reference].database
    # The tasks list refuses anonymous callers, so its rows carry a token.
    assert {row.key for row in ROWS if row.authorized} == {"i", "j", "k", "l"}


def test_the_table_gives_each_ratio_and_verdict() -> None:
    rps = {"a": 780.0, "b": 700.0, "c": 1000.0, "d": 4000.0, "e": 2900.0, "f": 3500.0}
    rps |= {"g": 860.0, "h": 1000.0, "i": 590.0, "j": 760.0, "k": 1000.0, "l": 1000.0}
    rps |= {"m": 760.0, "n": 400.0, "o": 1000.0}
    results = {key: result(key, value) for key, value in rps.items()}

    lines = render(results).splitlines()

    assert [line.split()[0] for line in lines[1:16]] == [f"({key})" for key in "abcdefghijklmno"]
    assert "(a) / (c) = 0.78   target >= 0.75: meets" in lines
    assert "(a) / (b) = 1.11   target >= 1.1: meets" in lines
    assert "(b) / (h) = 0.70   target >= 0.75: misses" in lines
    assert "(i) / (k) = 0.59   target >= 0.6: misses" in lines
    assert "(j) / (l) = 0.76   target >= 0.75: meets" in lines
    assert "(m) / (o) = 0.76   target >= 0.75: meets" in lines
    assert "(e) / (d) = 0.72   target >= 0.8: misses" in lines
    assert "(a) / (g) = 0.91   target >= 0.9: meets" in lines
    assert len(TARGETS) == 8


def test_the_table_shows_each_rows_collections_share_and_longest_pause() -> None:
    gc = GcFigures(8.0, 6.0, (1520, 138, 2), 0.9, 1.1, 0.1234)
    line = render({"a": result("a", 600.0, gc=gc)}).splitlines()[1]
    assert line.split()[-3:] == ["1520/138/2", "15.0", "123.4"]


def test_a_list_rows_tail_is_judged_on_p99_over_p50() -> None:
    results = {"a": result("a", 600, p50=20.31, p99=37.9), "i": result("i", 300, 10, 31)}
    lines = verdicts_of(results)
    assert "(a) p99 / p50 = 1.9   target <= 3: meets" in lines
    assert "(i) p99 / p50 = 3.1   target <= 3: misses" in lines
    # Constant rows and baselines are not judged on their tail.
    assert not any("p99" in line for line in verdicts_of({"d": result("d", 5000, 1, 9)}))


@pytest.mark.parametrize(
    ("gc_cpu", "max_pause", "met"),
    [
        (0.17, 0.010, True),  # 2.8%, 10 ms: both within
        (0.18, 0.002, False),  # 3.0% is not under 3%
        (0.01, 0.0101, False),  # one pause over 10 ms
    ],
)
def test_every_servicekit_row_is_judged_on_its_collector(
    gc_cpu: float, max_pause: float, met: bool
) -> None:
    gc = GcFigures(8.0, 6.0, (100, 10, 1), gc_cpu, max_pause, max_pause)
    [verdict] = verdicts({"e": result("e", 5000, gc=gc)})
    assert verdict.text.startswith("(e) GC ")
    assert verdict.text.endswith("target < 3%, <= 10 ms")
    assert verdict.met is met


def test_a_run_of_some_rows_checks_the_targets_it_can_and_names_the_others() -> None:
    results = {"a": result("a", 700), "c": result("c", 1000)}
    lines = render(results).splitlines()
    assert "(a) / (c) = 0.70   target >= 0.75: misses" in lines
    assert not any(line.startswith("(b) / (h)") for line in lines)
    assert unchecked(results) == [
        "(a) / (b)",
        "(b) / (h)",
        "(i) / (k)",
        "(j) / (l)",
        "(m) / (o)",
        "(e) / (d)",
        "(a) / (g)",
    ]
    assert lines[-1].startswith("not checked (rows not measured): (a) / (b), ")


def test_the_row_filter_keeps_the_tables_order() -> None:
    assert [row.key for row in selected_rows("c, a,h")] == ["a", "c", "h"]
    assert selected_rows("") == ROWS
    with pytest.raises(ValueError, match="no such rows: p, z"):
        selected_rows("a,z,p")


def test_observed_and_unobserved_rows_differ_only_in_the_switches() -> None:
    rows = {row.key: row for row in ROWS}
    assert (rows["a"].app, rows["a"].path) == (rows["g"].app, rows["g"].path)
    assert rows["a"].env == dict.fromkeys(rows["g"].env, "true")
    assert set(rows["g"].env.values()) == {"false"}


def test_the_median_run_counts_with_every_runs_errors_and_longest_pause() -> None:
    pauses = (0.004, 0.012, 0.002)
    runs = [
        Result("a", "app", rps, 5, p99, errors, GcFigures(8, 6, (n, 0, 0), 0.1, 0.1, pause))
        for (rps, p99, errors), n, pause in zip(
            ((700, 9, 0), (650, 30, 2), (900, 5, 1)), (1, 2, 3), pauses, strict=True
        )
    ]
    median = median_result(runs)
    assert (median.rps, median.p99_ms, median.errors) == (700, 9, 3)
    assert median.gc == GcFigures(8, 6, (1, 0, 0), 0.1, 0.1, 0.012)


def test_the_dev_token_is_one_a_service_trusts(tmp_path: Path) -> None:
    private_key, public_key = ensure_dev_keypair(tmp_path)
    defaults = ServiceSettings.model_fields
    verifier = TokenVerifier(
        public_key,
        issuer=defaults["jwt_issuer"].default,
        audience=defaults["jwt_audience"].default,
        max_lifetime_seconds=defaults["access_token_ttl_seconds"].default,
    )
    assert verifier.verify(dev_token(private_key, 1)).user_id == 1


def test_the_baselines_collectors_are_printed_but_not_judged() -> None:
    noisy = GcFigures(8.0, 6.0, (1500, 130, 11), 0.8, 0.9, 0.035)
    results = {key: result(key, 5000, gc=noisy) for key in "cdhklo"}
    assert not [v for v in verdicts(results) if " GC " in v.text]
    assert "35.0" in render(results)


def test_the_items_list_with_owners_has_a_users_process_to_ask() -> None:
    rows = {row.key: row for row in ROWS}
    assert "expand=owner" in rows["n"].path
    assert rows["n"].upstream is not None
    upstream, variable = rows["n"].upstream
    assert (upstream.app, variable) == (rows["a"].app, "USERS_URL")
    assert all(row.upstream is None for key, row in rows.items() if key != "n")
