"""/metrics: requests by route template and mode, bounded labels, pools and loop lag."""

import asyncio
import secrets
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter, Request
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import text

if TYPE_CHECKING:
    from .conftest import Serve

router = APIRouter()


@router.get("/api/things/{thing_id}")
async def read_thing(thing_id: int) -> dict[str, Any]:
    return {"id": thing_id}


@router.get("/sync/api/things/{thing_id}")
def read_thing_sync(thing_id: int) -> dict[str, Any]:
    return {"id": thing_id}


@router.get("/api/boom")
async def explode() -> dict[str, Any]:
    raise RuntimeError("boom")


@router.get("/api/block")
async def block_the_loop() -> dict[str, Any]:
    time.sleep(0.3)  # the mistake the lag histogram is there to reveal
    return {}


@router.get("/api/query")
async def query(request: Request) -> dict[str, Any]:
    async with request.app.state.service.db.async_sessions() as session:
        return {"one": (await session.execute(text("SELECT 1"))).scalar()}


@router.get("/api/hold")
async def hold_a_connection(request: Request) -> dict[str, Any]:
    async with request.app.state.service.db.async_engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        await asyncio.sleep(1.0)
    return {}


async def scrape(client: httpx.AsyncClient) -> dict[str, list[Sample]]:
    """metric family name -> its samples."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return sum(found) if found else None


def label_sets(families: dict[str, list[Sample]], family: str) -> set[tuple[tuple[str, str], ...]]:
    """The series of a family (a histogram's buckets are one series)."""
    return {
        tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        for s in families.get(family, [])
    }


async def test_requests_are_counted_by_route_template_mode_and_status_class(serve: "Serve") -> None:
    async with serve([router], raise_app_exceptions=False) as client:
        for thing in (1, 2, 3):
            await client.get(f"/api/things/{thing}")
        await client.get("/sync/api/things/7")
        await client.get("/api/things/not-a-number")
        assert (await client.get("/api/boom")).status_code == 500
        await client.get("/healthz")
        await client.get("/readyz")
        families = await scrape(client)
        again = await scrape(client)

    requests = families["http_requests"]
    total = "http_requests_total"
    base = {"service": "probe", "method": "GET"}
    async_thing = {**base, "route": "/api/things/{thing_id}", "mode": "async"}
    sync_thing = {**base, "route": "/sync/api/things/{thing_id}", "mode": "sync"}
    assert value(requests, total, **async_thing, status_class="2xx") == 3
    assert value(requests, total, **async_thing, status_class="4xx") == 1
    assert value(requests, total, **sync_thing, status_class="2xx") == 1
    assert value(requests, total, **base, route="/api/boom", status_class="5xx") == 1
    # The error classes of a route exist from its first answer, at 0.
    assert value(requests, total, **sync_thing, status_class="5xx") == 0
    routes = {s.labels["route"] for s in requests}
    assert not routes & {"/healthz", "/readyz", "/metrics"}
    durations = families["http_request_duration_seconds"]
    count = value(durations, "http_request_duration_seconds_count", **async_thing)
    assert count == 4
    inf = value(durations, "http_request_duration_seconds_bucket", **async_thing, le="+Inf")
    assert inf == count
    assert value(families["http_requests_in_flight"], "http_requests_in_flight") == 0
    # A scrape is not a request: counting scrapes would change what they report.
    assert again["http_requests"] == families["http_requests"]


async def test_label_sets_stay_bounded_under_random_paths_and_methods(serve: "Serve") -> None:
    async with serve([router]) as client:
        await client.get("/api/things/1")
        before = await scrape(client)
        for _ in range(200):
            path = f"/{secrets.token_hex(4)}/{secrets.token_urlsafe(12)}"
            method = secrets.choice(["GET", "POST", "BREW", "PROPFIND", "DELETE"])
            await client.request(method, path)
            await client.get(f"/api/things/{secrets.randbelow(10**9)}")
        after = await scrape(client)

    for family in ("http_requests", "http_request_duration_seconds"):
        grown = [dict(labels) for labels in label_sets(after, family) - label_sets(before, family)]
        # 400 requests to 400 paths: the new series are the unmatched route's alone, at
        # most {GET, POST, DELETE, OTHER} x {2xx, 4xx, 5xx}.
        assert grown
        assert {labels["route"] for labels in grown} == {"unmatched"}
        assert {labels["method"] for labels in grown} <= {"GET", "POST", "DELETE", "OTHER"}
        assert len(grown) <= 12


async def test_pools_report_size_use_and_checkout_waits(
    serve: "Serve", backend: str, database_url: str
) -> None:
    async with serve([router], database_url=database_url, db_pool_size=3) as client:
        assert (await client.get("/api/query")).json() == {"one": 1}
        families = await scrape(client)

    kind = "postgresql" if backend == "postgres" else "mysql"
    labels = {"service": "probe", "database": kind}
    for mode in ("async", "sync"):
        assert value(families["db_pool_size"], "db_pool_size", **labels, mode=mode) == 3
        assert (
            value(families["db_pool_checked_out"], "db_pool_checked_out", **labels, mode=mode) == 0
        )
        assert (
            value(families["db_pool_overflow"], "db_pool_overflow", **labels, mode=mode) is not None
        )
    waits = families["db_pool_checkout_wait_seconds"]
    checkouts = value(waits, "db_pool_checkout_wait_seconds_count", **labels, mode="async")
    assert checkouts is not None
    assert checkouts >= 1
    timeouts = families["db_pool_checkout_timeouts"]
    assert value(timeouts, "db_pool_checkout_timeouts_total", **labels, mode="async") == 0


async def test_an_exhausted_pool_counts_its_timeouts(
    serve: "Serve", server_urls: dict[str, str]
) -> None:
    async with serve(
        [router], raise_app_exceptions=False, db_pool_size=1, db_pool_timeout=0.2
    ) as client:
        holding = asyncio.create_task(client.get("/api/hold"))
        await asyncio.sleep(0.3)
        busy = await scrape(client)
        starved = await client.get("/api/query")
        await holding
        families = await scrape(client)

    labels = {"service": "probe", "database": "postgresql", "mode": "async"}
    assert value(busy["db_pool_checked_out"], "db_pool_checked_out", **labels) == 1
    # The held request is in flight; the scrape, unobserved, is not.
    assert value(busy["http_requests_in_flight"], "http_requests_in_flight") == 1
    assert starved.status_code == 503
    timeouts = families["db_pool_checkout_timeouts"]
    assert value(timeouts, "db_pool_checkout_timeouts_total", **labels) == 1


async def test_a_blocked_event_loop_shows_as_lag(serve: "Serve") -> None:
    async with serve([router]) as client:
        await asyncio.sleep(0.3)  # quiet measurements first
        await client.get("/api/block")
        await asyncio.sleep(0.6)
        families = await scrape(client)

    lag = families["event_loop_lag_seconds"]
    measured = value(lag, "event_loop_lag_seconds_count", service="probe")
    assert measured is not None
    assert measured >= 2
    # The 0.3 s sleep delayed a timer due 0.1 s after the last one by 0.2 s or more.
    within = value(lag, "event_loop_lag_seconds_bucket", service="probe", le="0.1")
    every = value(lag, "event_loop_lag_seconds_bucket", service="probe", le="+Inf")
    assert within is not None
    assert every is not None
    assert within < every


async def test_metrics_can_be_turned_off(serve: "Serve") -> None:
    async with serve([router], metrics_enabled=False) as client:
        assert (await client.get("/api/things/1")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404


@pytest.mark.parametrize("path", ["/metrics", "/healthz"])
async def test_probes_and_scrapes_carry_a_request_id_but_no_access_line(
    serve: "Serve", capsys: pytest.CaptureFixture[str], path: str
) -> None:
    async with serve([router]) as client:
        response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert '"logger":"access"' not in capsys.readouterr().out
