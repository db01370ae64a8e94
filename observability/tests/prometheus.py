"""A throwaway Prometheus server for tests, and a client for its query API.

    with running_prometheus(tmp_path) as url:                 # no scrape targets
        result = instant_query(url, "up")

    with running_prometheus(tmp_path, {"scrape_configs": [...]}) as url:
        ...                                                   # scrapes what you give it

`conftest.py` wraps the first form as the session fixture `prometheus_url`.
"""

import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devstack.binaries import find_binary
from devstack.ports import free_port
from devstack.processes import spawn, tail, terminate

HOST = "127.0.0.1"
START_TIMEOUT = 30.0


class PrometheusError(RuntimeError):
    pass


class QueryError(PrometheusError):
    """Prometheus refused a query (`bad_data` for a syntax error); `str()` says why."""

    def __init__(self, expr: str, error_type: str, error: str):
        super().__init__(f"{error_type}: {error}")
        self.expr = expr
        self.error_type = error_type
        self.error = error


@contextlib.contextmanager
def running_prometheus(
    directory: Path,
    config: Mapping[str, Any] | None = None,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Prometheus on 127.0.0.1 with its data in `directory`; yields its base URL and stops
    it on exit. `config` is prometheus.yml as a dict (written as JSON, which is YAML);
    by default a global section and nothing to scrape."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "prometheus.yml"
    config_path.write_text(json.dumps(config or {"global": {"scrape_interval": "15s"}}))
    port = port or free_port()
    log = directory / "prometheus.log"
    argv = [
        find_binary("prometheus"),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={directory / 'data'}",
        f"--web.listen-address={HOST}:{port}",
        *extra_args,
    ]
    process = spawn(argv, log=log, cwd=directory)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(url):
            if process.poll() is not None:
                raise PrometheusError(
                    f"prometheus exited ({process.returncode}) while starting; "
                    f"last lines of {log}:\n{tail(log)}"
                )
            if time.monotonic() > deadline:
                raise PrometheusError(
                    f"prometheus was not ready on {url} within {START_TIMEOUT:.0f}s; "
                    f"last lines of {log}:\n{tail(log)}"
                )
            time.sleep(0.1)
        yield url
    finally:
        terminate(process)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def instant_query(url: str, expr: str, timeout: float = 10.0) -> dict:
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
    return answer["data"]
