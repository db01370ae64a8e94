import dataclasses
import io
import json
import os
import re
import signal
import sys
import time
from typing import Any

import pytest

from devstack.health import answers_ok
from devstack.ports import free_port
from devstack.processes import pid_alive
from devstack.supervisor import ChildFailed, ChildSpec, StopRequested, Supervisor, stop_signals
from testkit.terminal import Terminal

ANSI = re.compile(r"\033\[[0-9;]*m")

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


def events(out: io.StringIO) -> list[dict[str, Any]]:
    """The output's lines, each of which must be a JSON object."""
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_on_a_pipe_every_line_is_json_and_the_childrens_pass_through() -> None:
    out = io.StringIO()
    code = (
        "print('plain words');"
        'print(\'{"message": "a log", "level": "info", "service": "worker"}\');'
        'print(\'{"msg": "no service", "level": "WARN"}\')'
    )
    supervisor = Supervisor(out)
    supervisor.run_once(ChildSpec("worker", python(code)))
    supervisor.say("said by the supervisor")

    plain, passed, completed, said = events(out)
    assert (plain["service"], plain["level"], plain["message"]) == ("worker", "info", "plain words")
    assert plain["time"].endswith("Z")
    assert passed == {"message": "a log", "level": "info", "service": "worker"}
    assert completed == {"service": "worker", "msg": "no service", "level": "WARN"}
    assert (said["service"], said["message"]) == ("devstack", "said by the supervisor")
    assert "\033[" not in out.getvalue()


CONSOLE_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} (\S+) +(DEBUG|INFO |WARN |ERROR) (.*)")


def console_lines(text: str) -> list[tuple[str, str, str]]:
    """(service, level, the rest) of each line, colours left out; fails on any other."""
    found = []
    for line in text.splitlines():
        matched = CONSOLE_LINE.fullmatch(ANSI.sub("", line))
        assert matched, line
        found.append((matched[1], matched[2].strip(), matched[3]))
    return found


def test_on_a_terminal_every_line_is_a_console_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    code = (
        "print('plain words');"
        'print(\'{"message": "GET /x 200", "level": "info", "service": "users",'
        ' "logger": "access", "duration_ms": 2.5, "request_id": "42"}\')'
    )
    with Terminal() as terminal, terminal.stream() as screen:
        supervisor = Supervisor(screen)
        supervisor.run_once(ChildSpec("users", python(code)))
        supervisor.say("bad news", level="warning")
        shown = terminal.wait_for("bad news")

    assert "\033[" in shown
    assert console_lines(shown) == [
        ("users", "INFO", "plain words"),
        ("users", "INFO", "GET /x 200  2.5 ms  req=42"),
        ("devstack", "WARN", "bad news"),
    ]


def test_console_lines_on_a_pipe_when_asked_for_without_colours() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out, log_format="console")
    supervisor.run_once(ChildSpec("seed", python("print('1000 users')")))

    assert console_lines(out.getvalue()) == [("seed", "INFO", "1000 users")]
    assert "\033[" not in out.getvalue()


def test_an_announcement_stands_apart_on_a_console_and_is_json_elsewhere() -> None:
    console = io.StringIO()
    Supervisor(console, log_format="console").announce("ready:\n  gateway  http://x")
    assert console.getvalue() == "\nready:\n  gateway  http://x\n"

    out = io.StringIO()
    Supervisor(out).announce("ready:\n  gateway  http://x")
    assert [event["message"] for event in events(out)] == ["ready:", "  gateway  http://x"]


def test_a_child_without_a_health_url_is_started_once_it_says_it_is_ready() -> None:
    code = "import time; time.sleep(1); print('worker ready.', flush=True); time.sleep(60)"
    out = io.StringIO()
    with Supervisor(out) as supervisor:
        supervisor.start(ChildSpec("worker", python(code), ready_line=r"ready\.$"))
        assert any(event["message"] == "worker ready." for event in events(out))


def test_a_child_that_never_says_it_is_ready_times_out() -> None:
    spec = ChildSpec("mute", python("import time; time.sleep(60)"), ready_line="ready")
    with Supervisor(io.StringIO()) as supervisor, pytest.raises(ChildFailed, match="ready"):
        supervisor.start(dataclasses.replace(spec, health_timeout=1))


def test_run_once_raises_with_the_output_of_a_failed_command() -> None:
    code = "import sys; print('migration 42 failed'); sys.exit(3)"
    with pytest.raises(ChildFailed, match=r"(?s)migrate failed with exit code 3.*migration 42"):
        Supervisor(io.StringIO()).run_once(ChildSpec("migrate", python(code)))


def test_start_waits_until_healthy_and_stop_stops() -> None:
    port = free_port()
    spec = ChildSpec(
        "web", python(SERVE, str(port), "0.5"), health_url=f"http://127.0.0.1:{port}/healthz"
    )
    with Supervisor(io.StringIO()) as supervisor:
        supervisor.start(spec)  # the child answers its health URL only after 0.5 s
        assert spec.health_url is not None
        assert answers_ok(spec.health_url)
        pid = supervisor._children[0].process.pid
    assert not pid_alive(pid)


def test_a_child_that_dies_while_starting_is_reported_with_its_output() -> None:
    code = "import sys; print('cannot bind'); sys.exit(1)"
    spec = ChildSpec("web", python(code), health_url=f"http://127.0.0.1:{free_port()}/")
    with (
        Supervisor(io.StringIO()) as supervisor,
        pytest.raises(ChildFailed, match=r"(?s)web exited with code 1.*cannot bind"),
    ):
        supervisor.start(spec)


def test_a_child_that_never_gets_healthy_times_out() -> None:
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


def test_watch_starts_a_child_that_dies_again_with_a_growing_backoff() -> None:
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

    said = [event["message"] for event in events(out) if event["service"] == "devstack"]
    reports = [message for message in said if "flaky exited" in message]
    assert [report.split("; ")[1] for report in reports[:2]] == [
        "starting it again in 1 s",
        "starting it again in 2 s",
    ]
    assert "flaky exited unexpectedly with code 4" in reports[0]
    ran = [
        event for event in events(out) if (event["service"], event["message"]) == ("flaky", "up")
    ]
    assert len(ran) >= 2  # it really ran again


def test_stop_kills_a_child_that_ignores_sigterm() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "print('up', flush=True); time.sleep(60)"
    )
    supervisor = Supervisor(io.StringIO(), grace=0.5)
    supervisor.start(ChildSpec("stubborn", python(code)))
    process = supervisor._children[0].process
    supervisor.stop()
    assert process.returncode == -signal.SIGKILL  # killed after the grace, not waited out


def test_stop_goes_in_reverse_order_of_start() -> None:
    out = io.StringIO()
    with Supervisor(out) as supervisor:
        for name in ("database", "service", "gateway"):
            supervisor.start(ChildSpec(name, python("import time; time.sleep(60)")))
    said = [event["message"] for event in events(out)]
    stops = [message.removeprefix("stopping ") for message in said if "stopping" in message]
    assert stops == ["gateway", "service", "database"]


def test_the_first_stop_signal_raises_later_ones_are_ignored_after_shield() -> None:
    def signal_and_wait() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before this ends

    # What SIGINT did before: Python's default handler, or nothing when the run was
    # started in the background of a shell (which ignores SIGINT for it).
    before = signal.getsignal(signal.SIGINT)
    with stop_signals() as shield:
        with pytest.raises(StopRequested, match="SIGTERM"):
            signal_and_wait()
        shield()
        os.kill(os.getpid(), signal.SIGINT)  # ignored: we are already stopping
        time.sleep(0.1)
    assert signal.getsignal(signal.SIGINT) is before
