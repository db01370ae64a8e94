"""What `make run` shows on a terminal (a pty): every process's lines as console lines,
then the URLs, which stay the last thing on screen while the worker's periodic jobs run
with nothing to do. The whole stack, as `make run` starts it, on free ports."""

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from devstack.databases import drop_database
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.servers import RedisServer
from devstack.services import SERVICES, relocated
from devstack.stack import Stack
from devstack.supervisor import Supervisor
from servicecontracts.view_counts import ViewKeys
from testkit.terminal import Terminal

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ANSI = re.compile(r"\033\[[0-9;]*m")
# Time, process ("users", or "users seed" for its one-off commands), level, message.
CONSOLE_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \S+( \S+)? +(DEBUG|INFO |WARN |ERROR|CRIT ) ")
LAST_LINE = "stop everything with Ctrl-C"
# Rounds of every periodic job (each every second here) to watch after the URLs.
ROUNDS = 3


class Rounds:
    """Counts the periodic jobs' rounds by what they leave behind: the flush's time in
    Redis, the heartbeat file's."""

    def __init__(self, redis_url: str, heartbeat_file: Path) -> None:
        self._redis = redis.Redis.from_url(redis_url)
        self._heartbeat_file = heartbeat_file
        self._seen: dict[str, set[object]] = {"flush": set(), "heartbeat": set()}

    def look(self) -> int:
        """The fewest rounds any of them has been seen to make."""
        self._seen["flush"].add(self._redis.get(ViewKeys().flushed_at))
        with contextlib.suppress(FileNotFoundError):
            self._seen["heartbeat"].add(self._heartbeat_file.stat().st_mtime_ns)
        return min(len(seen) for seen in self._seen.values())


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    monkeypatch.setenv("TERM", "xterm-256color")  # one with colours
    monkeypatch.delenv("NO_COLOR", raising=False)
    with Terminal() as screen:
        yield screen


def test_make_run_on_a_terminal_ends_with_the_urls_and_keeps_them_last(
    server_urls: dict[str, str], tmp_path: Path, terminal: Terminal
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    tmp_path.chmod(0o755)
    data.chmod(0o755)  # nginx's workers run as another user
    services = relocated(
        SERVICES, iter(free_port, None), database_suffix=f"_screen_{secrets.token_hex(3)}"
    )
    with (
        RedisServer(data / "redis", free_port()) as own_redis,
        terminal.stream() as screen,
        contextlib.ExitStack() as exits,
    ):
        for service in services:
            if service.backend is not None and service.database is not None:
                exits.callback(drop_database, server_urls[service.backend], service.database)
        environ = {
            "PATH": os.environ["PATH"],
            "POSTGRES_URL": server_urls["postgres"],
            "MYSQL_URL": server_urls["mysql"],
            "REDIS_URL": own_redis.url,
            "GATEWAY_PORT": str(free_port()),
            "PROMETHEUS_PORT": str(free_port()),
            "LOCUST_METRICS_PORT": str(free_port()),
            "FLUSH_INTERVAL_SECONDS": "1",
            "RESEND_INTERVAL_SECONDS": "1",
            "HEARTBEAT_INTERVAL_SECONDS": "1",
        }
        supervisor = Supervisor(screen, grace=5)
        stack = Stack(repo_root(), environ, supervisor, exits, services, data=data)
        rounds = Rounds(own_redis.url, data / "worker-heartbeat")
        shown_at_summary: list[str] = []

        def quiet_rounds_done() -> bool:
            if not shown_at_summary:
                shown_at_summary.append(terminal.wait_for(LAST_LINE))
                rounds.look()  # what was there before the URLs does not count
            return rounds.look() > ROUNDS

        stack.run(until=quiet_rounds_done)
        time.sleep(0.5)  # anything still on its way to the screen
        shown = terminal.text()

    before, summary, after = shown.partition("\nready:\n")
    assert summary, shown[-4000:]
    assert after.rstrip("\n").endswith(LAST_LINE), after
    # Nothing came after the URLs, though every periodic job ran ROUNDS times.
    assert shown.rstrip("\n") == shown_at_summary[0].rstrip("\n")
    assert "\033[" in before  # in colour
    lines = [ANSI.sub("", line) for line in before.splitlines() if line.strip()]
    assert not [line for line in lines if not CONSOLE_LINE.match(line)]
    named = {line.split()[1] for line in lines}
    assert {"devstack", "users", "items", "tasks", "worker", "gateway"} <= named
