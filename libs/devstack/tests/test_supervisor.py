import io
import json
import os
import signal
import sys
import time

import pytest

from devstack.health import answers_ok
from devstack.ports import free_port
from devstack.processes import pid_alive
from devstack.supervisor import ChildFailed, ChildSpec, StopRequested, Supervisor, stop_signals

pytestmark = pytest.mark.timeout(60)

# A child that serves 200 on every path once `delay` seconds have passed.
SERVE = """
import http.server, sys, time
time.sleep(float(sys.argv[2]))
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
    def log_message(self, *args):
        pass
print("serving", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def test_output_is_labelled_and_json_lines_pass_through():
    out = io.StringIO()
    code = 'print(\'plain words\'); print(\'{"message": "a log", "level": "info"}\')'
    Supervisor(out).run_once(ChildSpec("worker", python(code)))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("worker")
    assert lines[0].endswith("| plain words")
    assert json.loads(lines[1]) == {"message": "a log", "level": "info"}
    assert "\033[" not in out.getvalue()  # no colour when the output is not a terminal


def test_run_once_raises_with_the_output_of_a_failed_command():
    code = "import sys; print('migration 42 failed'); sys.exit(3)"
    with pytest.raises(ChildFailed, match=r"(?s)migrate failed with exit code 3.*migration 42"):
        Supervisor(io.StringIO()).run_once(ChildSpec("migrate", python(code)))


def test_start_waits_until_healthy_and_stop_stops():
    port = free_port()
    spec = ChildSpec(
        "web", python(SERVE, str(port), "0.5"), health_url=f"http://127.0.0.1:{port}/healthz"
    )
    with Supervisor(io.StringIO()) as supervisor:
        supervisor.start(spec)  # the child answers its health URL only after 0.5 s
        assert answers_ok(spec.health_url)
        pid = supervisor._children[0].process.pid
    assert not pid_alive(pid)


def test_a_child_that_dies_while_starting_is_reported_with_its_output():
    code = "import sys; print('cannot bind'); sys.exit(1)"
    spec = ChildSpec("web", python(code), health_url=f"http://127.0.0.1:{free_port()}/")
    with (
        Supervisor(io.StringIO()) as supervisor,
        pytest.raises(ChildFailed, match=r"(?s)web exited with code 1.*cannot bind"),
    ):
        supervisor.start(spec)


def test_a_child_that_never_gets_healthy_times_out():
    spec = ChildSpec(
        "web",
        python("import time; time.sleep(60)"),
        health_url=f"http://127.0.0.1:{free_port()}/",
        health_timeout=1,
    )
    with (
        Supervisor(io.StringIO()) as supervisor,
        pytest.raises(ChildFailed, match="did not answer"),
    ):
        supervisor.start(spec)


def test_watch_starts_a_child_that_dies_again_with_a_growing_backoff():
    out = io.StringIO()
    with Supervisor(out) as supervisor:
        supervisor.start(ChildSpec("steady", python("import time; time.sleep(60)")))
        steady_pid = supervisor.pids()["steady"]
        flaky = "import time; print('up', flush=True); time.sleep(0.7); exit(4)"
        supervisor.start(ChildSpec("flaky", python(flaky)))

        def restarted_twice() -> bool:
            return out.getvalue().count("started flaky again") == 2

        supervisor.watch(poll=0.05, until=restarted_twice)
        assert supervisor.pids()["steady"] == steady_pid  # the others run on untouched

    reports = [line for line in out.getvalue().splitlines() if "flaky exited" in line]
    assert [report.split("; ")[1] for report in reports[:2]] == [
        "starting it again in 1 s",
        "starting it again in 2 s",
    ]
    assert "flaky exited unexpectedly with code 4" in reports[0]
    assert out.getvalue().count("flaky         | up") >= 2  # it really ran again


def test_stop_kills_a_child_that_ignores_sigterm():
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "print('up', flush=True); time.sleep(60)"
    )
    supervisor = Supervisor(io.StringIO(), grace=0.5)
    supervisor.start(ChildSpec("stubborn", python(code)))
    process = supervisor._children[0].process
    supervisor.stop()
    assert process.returncode == -signal.SIGKILL  # killed after the grace, not waited out


def test_stop_goes_in_reverse_order_of_start():
    out = io.StringIO()
    with Supervisor(out) as supervisor:
        for name in ("database", "service", "gateway"):
            supervisor.start(ChildSpec(name, python("import time; time.sleep(60)")))
    stops = [
        line.split("stopping ")[1] for line in out.getvalue().splitlines() if "stopping" in line
    ]
    assert stops == ["gateway", "service", "database"]


def test_the_first_stop_signal_raises_later_ones_are_ignored_after_shield():
    def signal_and_wait() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before this ends

    with stop_signals() as shield:
        with pytest.raises(StopRequested, match="SIGTERM"):
            signal_and_wait()
        shield()
        os.kill(os.getpid(), signal.SIGINT)  # ignored: we are already stopping
        time.sleep(0.1)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
