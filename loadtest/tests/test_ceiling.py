"""The ceiling benchmark's reading of wrk and its verdicts, from fixed input."""

from loadtest.ceiling import ROWS, TARGETS, Result, median_result, parse_wrk, render

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


def test_wrk_output_is_read_exactly():
    assert parse_wrk(WRK_OUTPUT) == (1521.87, 37.9, 7)


def test_latency_units_are_converted_to_milliseconds():
    seconds = WRK_OUTPUT.replace("     99%   37.90ms", "     99%    1.20s")
    micros = WRK_OUTPUT.replace("     99%   37.90ms", "     99%  850.00us")
    assert parse_wrk(seconds)[1] == 1200.0
    assert parse_wrk(micros)[1] == 0.85


def test_the_table_gives_each_ratio_and_verdict():
    rps = {"a": 600.0, "b": 300.0, "c": 1000.0, "d": 4000.0, "e": 2900.0, "f": 3500.0}
    rps["g"] = 700.0
    results = {key: Result(key, f"app {key}", value, 10.0, 0) for key, value in rps.items()}

    lines = render(results).splitlines()

    assert [line.split()[0] for line in lines[1:8]] == [f"({key})" for key in "abcdefg"]
    assert "(a) / (c) = 0.60   target >= 0.6: meets" in lines
    assert "(b) / (c) = 0.30   target >= 0.4: misses" in lines
    assert "(e) / (d) = 0.72   target >= 0.75: misses" in lines
    assert "(a) / (g) = 0.86   target >= 0.85: meets" in lines
    assert len(TARGETS) == 4


def test_observed_and_unobserved_rows_differ_only_in_the_switches():
    rows = {row.key: row for row in ROWS}
    assert (rows["a"].app, rows["a"].path) == (rows["g"].app, rows["g"].path)
    assert rows["a"].env == dict.fromkeys(rows["g"].env, "true")
    assert set(rows["g"].env.values()) == {"false"}


def test_the_median_run_counts_with_every_runs_errors():
    runs = [
        Result("a", "app", rps, p99, errors)
        for rps, p99, errors in ((700, 9, 0), (650, 30, 2), (900, 5, 1))
    ]
    assert median_result(runs) == Result("a", "app", 700, 9, 3)
