"""The load tests never meet the gateway's per-client limits unless asked: every Locust
user of a run sends from one address, as fast as the system answers, so any limit would
be what they measure. (The chart's side: charts/tests/test_gateway_edge.py.)"""

from pathlib import Path

from devstack.gateway import Gateway
from devstack.gateway_edge import CLIENT_LIMITS_FILE, EdgeSettings
from loadtest.bench import system_environment

LIMITED = {
    "GATEWAY_READ_RATE": "5",
    "GATEWAY_READ_BURST": "1",
    "GATEWAY_WRITE_RATE": "1",
    "GATEWAY_CORS_ORIGINS": "https://app.example",
}


def test_the_system_the_bench_starts_has_no_client_limits(tmp_path: Path) -> None:
    environ = system_environment({"PATH": "/usr/bin:/bin", **LIMITED})
    upstreams = dict.fromkeys(("users", "items", "tasks"), "127.0.0.1:18000")

    gateway = Gateway(
        tmp_path, "127.0.0.1:18080", upstreams, edge=EdgeSettings.from_environ(environ)
    )
    gateway.write()

    assert (tmp_path / CLIENT_LIMITS_FILE).read_text() == ""
    # The rest of the environment is the system's as given.
    assert environ["GATEWAY_CORS_ORIGINS"] == "https://app.example"
    assert environ["GATEWAY_PORT"] != environ["PROMETHEUS_PORT"]


def test_make_runs_gateway_which_locust_drives_has_none_by_default() -> None:
    # `make loadtest-ui` and the smoke check aim Locust at `make run`'s gateway.
    settings = EdgeSettings.from_environ({})

    assert (settings.reads.rate, settings.writes.rate) == (0, 0)
    assert settings.files[CLIENT_LIMITS_FILE] == ""
