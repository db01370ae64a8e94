"""LOG_FORMAT in a real service process: console lines on a terminal (a pty), JSON lines
on a pipe, whatever writes them (uvicorn, a handler's logger, the access log)."""

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from devstack.health import wait_until_ok
from devstack.ports import free_port
from devstack.processes import spawn, terminate
from testkit.terminal import Terminal

pytestmark = pytest.mark.e2e

PROBE = """
import logging
from fastapi import APIRouter
from servicekit.app import create_app
from servicekit.core.settings import ServiceSettings

router = APIRouter()

@router.get("/hello")
async def hello() -> dict:
    logging.getLogger("probe.hello").warning("saying hello")
    return {}

app = create_app(ServiceSettings(), [router])
"""
ANSI = re.compile(r"\033\[[0-9;]*m")
CONSOLE_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} probe    (DEBUG|INFO |WARN |ERROR) \S")


@pytest.fixture
def start_probe(
    tmp_path: Path, server_urls: dict[str, str], jwt_public_key: str
) -> Iterator[Callable[..., str]]:
    """`start_probe(stdout, **env)`: a uvicorn process of a servicekit app writing to
    `stdout` (a descriptor or a file); returns its base URL once it answers."""
    (tmp_path / "console_probe.py").write_text(textwrap.dedent(PROBE))
    processes: list[subprocess.Popen[bytes]] = []

    def start(stdout: int | Path, **env: str) -> str:
        port = free_port()
        environment = {
            key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "TERM")
        }
        environment |= {
            "PYTHONPATH": str(tmp_path),
            "SERVICE_NAME": "probe",
            "DATABASE_URL": server_urls["postgres"],
            "REDIS_URL": server_urls["redis"],
            "JWT_PUBLIC_KEY": jwt_public_key,
            "WORKER_ID": "9",
            **env,
        }
        argv = [sys.executable, "-m", "uvicorn", "console_probe:app", "--port", str(port)]
        if isinstance(stdout, Path):
            process = spawn(argv, env=environment, log=stdout, cwd=tmp_path)
        else:
            process = subprocess.Popen(
                argv, stdout=stdout, stderr=stdout, env=environment, cwd=tmp_path
            )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        assert wait_until_ok(f"{url}/healthz", 30, lambda: process.poll() is None)
        return url

    yield start
    for process in processes:
        terminate(process)


def say_hello(url: str) -> None:
    response = httpx.get(f"{url}/hello", headers={"X-Request-ID": "edge-1"}, timeout=10)
    assert response.status_code == 200


def test_on_a_terminal_every_line_is_a_console_line_in_colour(
    start_probe: Callable[..., str],
) -> None:
    with Terminal() as terminal:
        url = start_probe(terminal.slave_fd, TERM="xterm-256color")
        say_hello(url)
        shown = terminal.wait_for("GET /hello 200")

    assert "\033[" in shown  # colours: the terminal has them
    lines = [ANSI.sub("", line) for line in shown.splitlines() if line.strip()]
    assert not [line for line in lines if not CONSOLE_LINE.match(line)], shown
    assert any("Uvicorn running on" in line for line in lines)  # uvicorn's own records
    hello = next(line for line in lines if "saying hello" in line)
    assert " WARN " in hello
    assert hello.endswith("req=edge-1")
    access = next(line for line in lines if "GET /hello 200" in line)
    assert re.search(r"GET /hello 200  \d+\.\d ms  req=edge-1$", access)


def test_without_colours_where_the_terminal_has_none(start_probe: Callable[..., str]) -> None:
    with Terminal() as terminal:
        say_hello(start_probe(terminal.slave_fd, TERM="dumb"))
        shown = terminal.wait_for("GET /hello 200")

    assert "\033[" not in shown
    assert CONSOLE_LINE.match(shown.splitlines()[0])


def test_on_a_pipe_every_line_is_json(start_probe: Callable[..., str], tmp_path: Path) -> None:
    log = tmp_path / "probe.log"
    say_hello(start_probe(log, TERM="xterm-256color"))

    def lines() -> list[str]:
        return [line for line in log.read_text().splitlines() if line]

    assert eventually(lambda: any("GET /hello 200" in line for line in lines()))
    events = [json.loads(line) for line in lines()]
    assert all(isinstance(event, dict) and event["service"] == "probe" for event in events)
    assert {"saying hello", "GET /hello 200"} <= {event["message"] for event in events}


def test_json_is_the_choice_on_a_terminal_too_when_it_is_asked_for(
    start_probe: Callable[..., str],
) -> None:
    with Terminal() as terminal:
        say_hello(start_probe(terminal.slave_fd, TERM="xterm-256color", LOG_FORMAT="json"))
        shown = terminal.wait_for("GET /hello 200")

    events = [json.loads(line) for line in shown.splitlines() if line.strip()]
    assert "saying hello" in {event["message"] for event in events}


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether `condition()` comes to hold within `timeout`, polling (access lines leave
    in batches, at least every half second)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
