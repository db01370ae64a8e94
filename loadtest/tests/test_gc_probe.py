"""loadtest.gc_probe: its arithmetic with fixed clocks, and the probe in a real uvicorn
process that makes garbage."""

import http.client
from pathlib import Path

import pytest

from devstack.health import wait_until_ok
from devstack.ports import free_port
from devstack.processes import spawn, terminate
from loadtest.gc_probe import GcFigures, GcProbe, read_figures, write_figures
from loadtest.gc_window import close_window, open_window, probed_argv


class Clock:
    """A clock that reads what the test sets."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocks() -> tuple[Clock, Clock, Clock]:
    return Clock(), Clock(), Clock()


def probe_on(clocks: tuple[Clock, Clock, Clock]) -> GcProbe:
    wall, cpu, thread_cpu = clocks
    return GcProbe(clock=wall, cpu_clock=cpu, thread_cpu_clock=thread_cpu)


def collect(
    probe: GcProbe, clocks: tuple[Clock, Clock, Clock], generation: int, wall: float, cpu: float
) -> None:
    """One collection that takes `wall` seconds, `cpu` of them on the CPU."""
    wall_clock, _, thread_cpu = clocks
    probe.callback("start", {"generation": generation})
    wall_clock.now += wall
    thread_cpu.now += cpu
    probe.callback("stop", {"generation": generation, "collected": 1, "uncollectable": 0})


def test_collections_are_counted_by_generation_with_their_pauses_and_cpu(
    clocks: tuple[Clock, Clock, Clock],
) -> None:
    wall, cpu, _ = clocks
    probe = probe_on(clocks)
    collect(probe, clocks, 0, 0.001, 0.001)
    collect(probe, clocks, 0, 0.002, 0.001)
    collect(probe, clocks, 2, 0.050, 0.040)
    wall.now += 1.0
    cpu.now = 0.8

    figures = probe.figures()

    assert figures.collections == (2, 0, 1)
    assert figures.pause_seconds == pytest.approx(0.053)
    assert figures.max_pause_seconds == pytest.approx(0.050)
    assert figures.gc_cpu_seconds == pytest.approx(0.042)
    assert figures.wall_seconds == pytest.approx(1.053)
    assert figures.cpu_seconds == pytest.approx(0.8)
    assert figures.gc_percent == pytest.approx(5.25)
    assert figures.max_pause_ms == pytest.approx(50.0)


def test_a_window_counts_from_its_start_only(clocks: tuple[Clock, Clock, Clock]) -> None:
    wall, cpu, _ = clocks
    probe = probe_on(clocks)
    collect(probe, clocks, 2, 0.5, 0.5)  # the warm-up's
    wall.now, cpu.now = 10.0, 4.0

    probe.start_window()
    collect(probe, clocks, 1, 0.004, 0.002)
    cpu.now = 5.0

    figures = probe.figures()
    assert figures.collections == (0, 1, 0)
    assert figures.cpu_seconds == pytest.approx(1.0)
    assert figures.wall_seconds == pytest.approx(0.004)
    assert (figures.pause_seconds, figures.gc_cpu_seconds) == pytest.approx((0.004, 0.002))


def test_a_collection_across_the_window_start_counts_its_part_inside(
    clocks: tuple[Clock, Clock, Clock],
) -> None:
    wall, _, thread_cpu = clocks
    probe = probe_on(clocks)
    probe.callback("start", {"generation": 2})
    wall.now = 0.030
    probe.start_window()
    wall.now = 0.040
    thread_cpu.now = 0.020
    probe.callback("stop", {"generation": 2})

    figures = probe.figures()
    assert figures.collections == (0, 0, 1)
    assert figures.pause_seconds == pytest.approx(0.010)
    # A quarter of its wall time fell inside the window, so a quarter of its CPU time.
    assert figures.gc_cpu_seconds == pytest.approx(0.005)


def test_a_stop_without_its_start_is_ignored(clocks: tuple[Clock, Clock, Clock]) -> None:
    probe = probe_on(clocks)
    probe.callback("stop", {"generation": 0})
    assert probe.figures().collections == (0, 0, 0)


def test_no_cpu_time_is_no_share() -> None:
    figures = GcFigures(0.0, 0.0, (0, 0, 0), 0.0, 0.0, 0.0)
    assert figures.gc_percent == 0.0


def test_figures_survive_their_file(tmp_path: Path) -> None:
    figures = GcFigures(2.0, 1.5, (120, 11, 1), 0.03, 0.04, 0.02)
    write_figures(figures, tmp_path / "gc.json")
    assert read_figures(tmp_path / "gc.json") == figures
    assert [p.name for p in tmp_path.iterdir()] == ["gc.json"]


@pytest.mark.timeout(60)
def test_the_probe_counts_the_collections_of_a_real_server(tmp_path: Path) -> None:
    port = free_port()
    uvicorn = ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    uvicorn += ["--app-dir", str(Path(__file__).parent), "gc_app:app"]
    figures_file = tmp_path / "gc.json"
    process = spawn(probed_argv(figures_file, uvicorn), log=tmp_path / "server.log")
    try:
        url = f"http://127.0.0.1:{port}/garbage"
        up = wait_until_ok(url, timeout=30, alive=lambda: process.poll() is None)
        assert up, (tmp_path / "server.log").read_text()
        open_window(process.pid)
        for _ in range(20):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/garbage")
            assert connection.getresponse().status == 200
            connection.close()
        figures = close_window(process.pid, figures_file)
    finally:
        terminate(process)

    # 100,000 cycles over the window: the youngest generation is collected many times.
    assert figures.collections[0] > 0
    assert len(figures.collections) == 3
    assert 0 < figures.max_pause_seconds <= figures.pause_seconds
    assert 0 < figures.gc_cpu_seconds <= figures.cpu_seconds
    assert 0 < figures.gc_percent <= 100
