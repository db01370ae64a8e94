"""`make run`'s Prometheus config: a job per part of the system, the repository's alert
rules, and a file Prometheus itself accepts."""

import subprocess
from pathlib import Path

import yaml

from devstack.binaries import find_binary
from devstack.prometheus import Prometheus, ScrapeTarget, rules_file

TARGETS = [
    ScrapeTarget("users", "127.0.0.1:8001"),
    ScrapeTarget("items", "127.0.0.1:8002"),
    ScrapeTarget("worker", "127.0.0.1:9101"),
    ScrapeTarget("locust", "127.0.0.1:9646"),
]


def test_the_config_scrapes_every_target_under_its_job_and_loads_the_rules(tmp_path: Path) -> None:
    server = Prometheus(tmp_path, "127.0.0.1:9090", TARGETS, scrape_interval_seconds=2)

    command = server.prepare()

    config = yaml.safe_load(server.config_path.read_text())
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert jobs == {target.job: [target.address] for target in TARGETS}
    assert config["global"] == {"scrape_interval": "2s", "evaluation_interval": "2s"}
    assert config["rule_files"] == [str(rules_file())]
    assert "--web.listen-address=127.0.0.1:9090" in command
    assert server.ready_url == "http://127.0.0.1:9090/-/ready"
    checked = subprocess.run(
        [find_binary("promtool"), "check", "config", str(server.config_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
