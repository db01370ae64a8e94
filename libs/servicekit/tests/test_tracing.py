"""Spans: one server span per request, named by route, continuing the caller's trace,
with the request id on every span and the trace id in every log line of the request."""

import json
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import APIRouter, Request
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision
from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags, TraceState
from sqlalchemy import text

from servicekit.observability.tracing import (
    REQUEST_ID_ATTRIBUTE,
    SampleWhenExported,
    _unsampled_span,
)

if TYPE_CHECKING:
    from .conftest import Serve

router = APIRouter()


@router.get("/api/things/{thing_id}")
async def read_thing(thing_id: int, request: Request) -> dict[str, Any]:
    async with request.app.state.service.db.async_sessions() as session:
        await session.execute(text("SELECT 1"))
    return {"id": thing_id}


@router.get("/sync/api/things/{thing_id}")
def read_thing_sync(thing_id: int, request: Request) -> dict[str, Any]:
    with request.app.state.service.db.sync_sessions() as session:
        session.execute(text("SELECT 1"))
    return {"id": thing_id}


def statements(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [span for span in spans if "db.system" in (span.attributes or {})]


def served(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [span for span in spans if span.kind == SpanKind.SERVER]


@router.get("/api/boom")
async def explode() -> dict[str, Any]:
    raise RuntimeError("boom")


CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.mark.parametrize("prefix", ["/api", "/sync/api"])
async def test_a_request_is_one_trace_with_its_statements(
    serve: "Serve",
    recorded_spans: list[ReadableSpan],
    capsys: pytest.CaptureFixture[str],
    prefix: str,
) -> None:
    async with serve([router]) as client:
        response = await client.get(f"{prefix}/things/3")

    request_id = response.headers["x-request-id"]
    (server,) = served(recorded_spans)
    queries = statements(recorded_spans)
    assert server.name == f"GET {prefix}/things/{{thing_id}}"
    assert server.attributes is not None
    assert server.attributes["http.route"] == f"{prefix}/things/{{thing_id}}"
    assert queries
    for span in [server, *queries]:
        assert span.context.trace_id == server.context.trace_id
        assert span.attributes is not None
        assert span.attributes[REQUEST_ID_ATTRIBUTE] == request_id
    assert queries[0].parent is not None
    assert server.context is not None
    assert queries[0].parent.span_id == server.context.span_id
    access = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"access"' in line
    ]
    assert [line["trace_id"] for line in access] == [f"{server.context.trace_id:032x}"]
    assert [line["span_id"] for line in access] == [f"{server.context.span_id:016x}"]


async def test_the_callers_trace_is_continued(
    serve: "Serve", recorded_spans: list[ReadableSpan]
) -> None:
    traceparent = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
    async with serve([router]) as client:
        await client.get("/api/things/1", headers={"traceparent": traceparent})

    (server,) = served(recorded_spans)
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE
    assert server.parent is not None
    assert f"{server.parent.span_id:016x}" == CALLER_SPAN


async def test_probes_and_scrapes_are_not_traced(
    serve: "Serve", recorded_spans: list[ReadableSpan]
) -> None:
    async with serve([router]) as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status_code == 200

    assert served(recorded_spans) == []


async def test_tracing_can_be_turned_off(
    serve: "Serve", recorded_spans: list[ReadableSpan]
) -> None:
    async with serve([router], tracing_enabled=False) as client:
        assert (await client.get("/api/things/1")).status_code == 200

    # The test's own httpx client is traced (the instrumentation is process-wide).
    assert [
        (span.name, span.kind, dict(span.attributes or {}), span.instrumentation_scope)
        for span in recorded_spans
    ] == []
    assert statements(recorded_spans) == []


def test_spans_are_recorded_only_once_they_are_exported() -> None:
    sampler = SampleWhenExported(ALWAYS_ON)
    trace_id = 0x4BF92F3577B34DA6A3CE929D0E0E4736

    unexported = sampler.should_sample(None, trace_id, "GET /api/things")
    sampler.exported = True
    exported = sampler.should_sample(None, trace_id, "GET /api/things")

    assert unexported.decision == Decision.DROP
    assert exported.decision == Decision.RECORD_AND_SAMPLE


def test_an_unexported_span_continues_the_callers_trace_unsampled() -> None:
    # What the SDK's tracer gives a dropped sample, made without it (start_server_span
    # while nothing is exported): the trace goes on in the logs and in calls made.
    caller = SpanContext(
        int(CALLER_TRACE, 16),
        int(CALLER_SPAN, 16),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID),
        trace_state=TraceState([("vendor", "value")]),
    )

    continued = _unsampled_span(caller).get_span_context()
    started = _unsampled_span(SpanContext(0, 0, is_remote=False)).get_span_context()

    assert continued.trace_id == caller.trace_id
    assert continued.span_id not in (0, caller.span_id)
    assert continued.trace_flags == TraceFlags.RANDOM_TRACE_ID  # not sampled
    assert continued.trace_state == caller.trace_state
    assert not continued.is_remote
    assert started.is_valid
    assert started.trace_flags == TraceFlags.RANDOM_TRACE_ID


async def test_a_failed_request_is_an_error_span_with_its_exception(
    serve: "Serve", recorded_spans: list[ReadableSpan]
) -> None:
    async with serve([router], raise_app_exceptions=False) as client:
        assert (await client.get("/api/boom")).status_code == 500
        assert (await client.get("/no/such/route")).status_code == 404

    failed, unmatched = served(recorded_spans)
    assert failed.name == "GET /api/boom"
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["error.type"] == "RuntimeError"
    assert failed.attributes["http.response.status_code"] == 500
    assert [event.name for event in failed.events] == ["exception"]
    # No route, no template: the span keeps the method alone (a path would be unbounded).
    assert unmatched.name == "GET"
    assert unmatched.status.status_code == StatusCode.UNSET
    assert "http.route" not in (unmatched.attributes or {})
