"""A throwaway Prometheus server for tests, and a client for its query API.

    with running_prometheus(tmp_path) as url:   # nothing to scrape, the alert rules loaded
        result = instant_query(url, "up")

`conftest.py` wraps it as the session fixture `prometheus_url`. The server is `make
run`'s (devstack.prometheus), without targets.
"""

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devstack.health import wait_until_ok
from devstack.ports import free_port
from devstack.processes import spawn, tail, terminate
from devstack.prometheus import Prometheus

START_TIMEOUT = 30.0


class PrometheusError(RuntimeError):
    pass


class QueryError(PrometheusError):
    """Prometheus refused a query (`bad_data` for a syntax error); `str()` says why."""

    def __init__(self, expr: str, error_type: str, error: str) -> None:
        super().__init__(f"{error_type}: {error}")
        self.expr = expr
        self.error_type = error_type
        self.error = error


@contextlib.contextmanager
def running_prometheus(directory: Path) -> Iterator[str]:
    """Prometheus on 127.0.0.1 with its files in `directory`; yields its base URL and
    stops it on exit."""
    server = Prometheus(directory, f"127.0.0.1:{free_port()}", targets=())
    log = server.data_dir / "prometheus.log"
    process = spawn(server.prepare(), log=log, cwd=server.data_dir)
    try:
        if not wait_until_ok(server.ready_url, START_TIMEOUT, lambda: process.poll() is None):
            raise PrometheusError(
                f"prometheus did not get ready on {server.url}; last lines of {log}:\n{tail(log)}"
            )
        yield server.url
    finally:
        terminate(process)


def instant_query(url: str, expr: str, timeout: float = 10.0) -> dict[str, Any]:
    """`data` of /api/v1/query for `expr` evaluated now ({"resultType", "result"});
    raises QueryError when Prometheus refuses the query."""
    body = urllib.parse.urlencode({"query": expr}).encode()
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http URL: {url!r}")
    request = urllib.request.Request(f"{url}/api/v1/query", data=body, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        # 400 (bad_data) and 422 (execution) carry the reason in a JSON body.
        try:
            answer = json.load(error)
        except ValueError:
            raise QueryError(expr, f"http {error.code}", error.reason) from error
    if answer.get("status") != "success":
        raise QueryError(expr, answer.get("errorType", "?"), answer.get("error", "?"))
    result: dict[str, Any] = answer["data"]
    return result
