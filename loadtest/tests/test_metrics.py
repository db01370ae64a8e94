"""`--metrics-port` on short headless runs against the local stack, scraped while Locust
runs. Locust stays in a child process: importing it here would patch pytest with gevent."""

import contextlib
import http.client
import itertools
import socket
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from devstack.ports import free_port
from loadtest.headless import run_headless
from loadtest.modes import request_name
from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

USERS = 4
STEPS = tuple(
    request_name(step, "async")
    for step in ("[users] list", "[users] list next", "[users] search", "[users] get")
)
SCRAPE_EVERY_SECONDS = 0.25


def scrape(port: int) -> dict[str, list[Sample]] | None:
    """Samples by sample name, or None while nothing answers on the port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    # Locust may exit half way through an answer.
    except (OSError, http.client.HTTPException):
        return None
    samples: dict[str, list[Sample]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append(sample)
    return samples


def by_request(samples: list[Sample]) -> dict[tuple[str, str], float]:
    return {(s.labels["name"], s.labels["method"]): s.value for s in samples}


def total_requests(scraped: dict[str, list[Sample]]) -> float:
    result: float = sum(s.value for s in scraped["locust_requests_total"])
    return result


def test_a_run_exports_its_stats_while_it_runs(local_stack: LocalStack, tmp_path: Path) -> None:
    port = free_port()
    scrapes = []
    scrapes_with_a_stalled_client = []
    with ThreadPoolExecutor(1) as background, contextlib.ExitStack() as exits:
        running = background.submit(
            run_headless,
            local_stack.gateway_url,
            "UsersRead",
            mode="async",
            users=USERS,
            # The warm-up ends in a stats reset mid-run: scrapes must go on through it.
            warmup=3,
            seconds=6,
            out_dir=tmp_path,
            accounts=8,
            metrics_port=port,
        )
        stalled = None
        while not running.done():
            scraped = scrape(port)
            if scraped is not None:
                scrapes.append(scraped)
                if stalled is not None:
                    scrapes_with_a_stalled_client.append(scraped)
                else:
                    # A scraper that never finishes its request: if serving it blocked
                    # the gevent hub, the users and every later scrape would stop.
                    stalled = exits.enter_context(socket.create_connection(("127.0.0.1", port)))
                    stalled.sendall(b"GET /metrics HTTP/1.1\r\n")
            time.sleep(SCRAPE_EVERY_SECONDS)
        run = running.result()

    assert run.exit_code == 0, run.log
    assert scrapes, run.log
    assert USERS in {s["locust_users"][0].value for s in scrapes}
    still_counting = itertools.pairwise(scrapes_with_a_stalled_client)
    assert any(total_requests(b) > total_requests(a) for a, b in still_counting)
    assert {"locust_cpu_usage_ratio", "process_cpu_seconds_total"} <= set(scrapes[-1])

    # The last scrape comes after the reset (Locust serves until it exits), so it counts
    # the measured period, as the CSV does.
    last_requests = by_request(scrapes[-1]["locust_requests_total"])
    for step in STEPS:
        assert 0 < last_requests[(step, "GET")] <= run.stats[step].requests, step

    for scraped in scrapes:
        names = {s.labels.get("name") for samples in scraped.values() for s in samples}
        assert "Aggregated" not in names
        assert all(s.value == 0 for s in scraped["locust_request_failures_total"])
        requests = by_request(scraped["locust_requests_total"])
        counts = by_request(scraped["locust_response_time_seconds_count"])
        assert counts == requests
        buckets = defaultdict(list)
        for sample in scraped["locust_response_time_seconds_bucket"]:
            key = (sample.labels["name"], sample.labels["method"])
            buckets[key].append((float(sample.labels["le"]), sample.value))
        assert set(buckets) == set(requests)
        for key, cumulative in buckets.items():
            cumulative.sort()
            values = [value for _, value in cumulative]
            assert values == sorted(values), key
            assert cumulative[-1] == (float("inf"), counts[key]), key


def test_no_metrics_port_when_the_option_is_zero(local_stack: LocalStack, tmp_path: Path) -> None:
    gateway_port = urlsplit(local_stack.gateway_url).port
    assert gateway_port is not None
    with ThreadPoolExecutor(1) as background:
        running = background.submit(
            run_headless,
            local_stack.gateway_url,
            "UsersRead",
            mode="async",
            users=1,
            seconds=4,
            out_dir=tmp_path,
            accounts=8,
            metrics_port=0,
        )
        locust = users_running(gateway_port, until=running.done)
        listening = [c for c in locust.net_connections("inet") if c.status == psutil.CONN_LISTEN]
        run = running.result()

    assert run.exit_code == 0, run.log
    # Headless, no web UI: a port open now could only be a metrics server.
    assert listening == []


def users_running(gateway_port: int, until: Callable[[], bool]) -> psutil.Process:
    """The Locust child once it talks to the gateway: its init (where a metrics server
    would start) has run by then."""
    while not until():
        for child in psutil.Process().children():
            with contextlib.suppress(psutil.NoSuchProcess):
                if "locust" not in child.cmdline():
                    continue
                connections = child.net_connections("inet")
                if any(c.raddr and c.raddr.port == gateway_port for c in connections):
                    return child
        time.sleep(0.1)
    raise AssertionError("Locust ended before any user reached the gateway")
