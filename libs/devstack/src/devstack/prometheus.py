"""Prometheus for `make run`: scrapes every service, the worker and Locust, and loads the
alert rules of observability/prometheus/rules.yml (the file the Helm chart loads too)."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devstack.binaries import find_binary
from devstack.layout import repo_root

DEFAULT_PORT = 9090
# Locust's exporter when it runs (`make loadtest-ui`); down the rest of the time.
DEFAULT_LOCUST_METRICS_PORT = 9646


def rules_file() -> Path:
    return repo_root() / "observability" / "prometheus" / "rules.yml"


@dataclass(frozen=True)
class ScrapeTarget:
    job: str  # users, items, tasks, worker, locust: the names the alert rules use
    address: str  # host:port serving /metrics


class Prometheus:
    """The config and command of one Prometheus with all its files under `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        listen: str,
        targets: Sequence[ScrapeTarget],
        *,
        scrape_interval_seconds: float = 5.0,
    ):
        self.data_dir = Path(data_dir).absolute()
        self.listen = listen
        self.targets = tuple(targets)
        self.interval = f"{scrape_interval_seconds:g}s"

    @property
    def url(self) -> str:
        return f"http://{self.listen}"

    @property
    def ready_url(self) -> str:
        return f"{self.url}/-/ready"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "prometheus.yml"

    def config(self) -> dict[str, Any]:
        jobs = list(dict.fromkeys(target.job for target in self.targets))
        return {
            "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
            "rule_files": [str(rules_file())],
            "scrape_configs": [
                {
                    "job_name": job,
                    "static_configs": [
                        {"targets": [t.address for t in self.targets if t.job == job]}
                    ],
                }
                for job in jobs
            ],
        }

    def prepare(self) -> list[str]:
        """Writes the config; returns the command that serves it in the foreground."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        return [
            find_binary("prometheus"),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address={self.listen}",
            # JSON lines, which the supervisor shows as it shows the services' (its
            # output's form); warnings and errors only, so nothing routine follows the URLs.
            "--log.format=json",
            "--log.level=warn",
        ]
