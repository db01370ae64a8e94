"""The dashboard contract: with the whole stack running, Prometheus scraping it and a
short load from Locust in both modes, every panel query of every dashboard returns data.

Also: Prometheus scrapes every part of the system, and has loaded every alert rule
without an evaluation error.
"""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from devstack.prometheus import rules_file
from loadtest.headless import LOCUSTFILE, SCENARIOS
from testkit.local_stack import LocalStack

from .dashboards import load_dashboards, panel_queries
from .prometheus import instant_query

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SCRAPED_JOBS = {"users", "items", "tasks", "worker", "locust"}
LOAD_SECONDS = 60  # an upper bound: the load is stopped once the panels are checked
# Long enough to span a few of the stack's 1 s scrapes and a job or two of every kind.
RATE_INTERVAL = "30s"


def query(prometheus_url: str, expr: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = instant_query(prometheus_url, expr)["result"]
    return result


def locust(
    local_stack: LocalStack, mode: str, tmp: Path, metrics_port: int | None
) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    argv += ["--host", local_stack.gateway_url, "--users", "8", "--spawn-rate", "8"]
    argv += ["--run-time", f"{LOAD_SECONDS}s", "--mode", mode, "--accounts", "8"]
    argv += ["--loglevel", "WARNING", "--only-summary"]
    if metrics_port:
        argv += ["--metrics-port", str(metrics_port)]
    log = (tmp / f"locust-{mode}.log").open("w")
    return subprocess.Popen([*argv, *SCENARIOS], stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def loaded_stack(
    local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The stack under load in both modes; Locust's own metrics come from the async run."""
    tmp = tmp_path_factory.mktemp("dashboard-load")
    runs = [
        locust(local_stack, "async", tmp, local_stack.locust_metrics_port),
        locust(local_stack, "sync", tmp, None),
    ]
    try:
        wait_for_traffic(local_stack)
        yield local_stack
    finally:
        for run in runs:
            run.terminate()
        for run in runs:
            run.wait(timeout=30)


def wait_for_traffic(local_stack: LocalStack) -> None:
    """Until Prometheus has seen requests in both modes, jobs run and Locust's numbers,
    plus two scrape intervals for every rate to have two samples."""
    url = local_stack.prometheus_url
    ready = {
        "async requests": 'sum(increase(http_requests_total{mode="async"}[30s])) > 0',
        "sync requests": 'sum(increase(http_requests_total{mode="sync"}[30s])) > 0',
        "reports run": 'sum(increase(jobs_succeeded_total{kind="reports.user_summary"}[30s])) > 0',
        "locust": "sum(locust_requests_total) > 0",
    }
    deadline = time.monotonic() + 45
    while waiting := [name for name, expr in ready.items() if not query(url, expr)]:
        assert time.monotonic() < deadline, f"no data yet for {waiting}"
        time.sleep(1)
    time.sleep(2 * local_stack.scrape_interval_seconds + 1)


def test_every_panel_of_every_dashboard_returns_data(loaded_stack: LocalStack) -> None:
    empty = []
    checked = 0
    for stem, dashboard in load_dashboards().items():
        for title, expr in panel_queries(dashboard, {}, rate_interval=RATE_INTERVAL):
            checked += 1
            if not query(loaded_stack.prometheus_url, expr):
                empty.append(f"{stem} / {title}: {expr}")
    assert checked > 50
    assert empty == [], "panels without data:\n" + "\n".join(empty)


def test_prometheus_scrapes_every_part_of_the_system(loaded_stack: LocalStack) -> None:
    up = query(loaded_stack.prometheus_url, "up")
    state = {sample["metric"]["job"]: sample["value"][1] for sample in up}
    assert set(state) >= SCRAPED_JOBS
    assert {job: state[job] for job in SCRAPED_JOBS} == dict.fromkeys(SCRAPED_JOBS, "1")


def test_every_alert_rule_is_loaded_and_evaluates(loaded_stack: LocalStack) -> None:
    expected = {
        rule["alert"]
        for group in yaml.safe_load(rules_file().read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    answer = httpx.get(f"{loaded_stack.prometheus_url}/api/v1/rules", timeout=10).json()
    rules = [rule for group in answer["data"]["groups"] for rule in group["rules"]]

    assert {rule["name"] for rule in rules} == expected
    unhealthy = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert unhealthy == {}
    # A healthy system under a short load is not something to be woken up for.
    assert [rule["name"] for rule in rules if rule["state"] == "firing"] == []
