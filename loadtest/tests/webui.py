"""A real Locust web UI process on a free loopback port, for the tests of what the
project adds to it (the ticked scenario, the fault panel)."""

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.ports import accepts_connections, free_port
from devstack.processes import spawn, terminate
from loadtest.headless import LOCUSTFILE

START_TIMEOUT = 60


@dataclass(frozen=True)
class WebUI:
    url: str
    log: Path


@contextlib.contextmanager
def locust_web_ui(fault_redis: str, log: Path, *classes: str) -> Iterator[WebUI]:
    """`make loadtest-ui` as it runs, aimed at a loopback port where nothing listens
    (what the users request does not matter to these tests; nothing leaves the machine)."""
    port = free_port()
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--class-picker"]
    argv += ["--web-host", "127.0.0.1", "--web-port", str(port)]
    argv += ["--host", f"http://127.0.0.1:{free_port()}", "--fault-redis", fault_redis]
    process = spawn([*argv, *classes], log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not accepts_connections("127.0.0.1", port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no web UI after {START_TIMEOUT} s"
            time.sleep(0.2)
        yield WebUI(f"http://127.0.0.1:{port}", log)
    finally:
        terminate(process)
