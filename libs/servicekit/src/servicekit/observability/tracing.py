"""OpenTelemetry traces: one per request, across services (httpx) and into jobs (Celery).

servicekit.observability.telemetry starts each request's server span (`start_server_span`); SQL
statements (`trace_engine`), named queries (`query_span`), Redis commands, outbound
calls and Celery's publish and run spans nest under it.

Spans are exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces
variant) is set; the SDK reads the standard OTEL_* variables (sampler, headers,
timeouts) itself. Without an exporter no span is recorded, but every request still has
a trace context: its ids go into every log line and, as `traceparent`, into the calls
and jobs it makes, so one request's lines can be found across services. Recording spans
that go nowhere would cost every request for nothing.
"""

import os
import threading
from collections.abc import Mapping
from contextvars import Token
from typing import Any

import httpx
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler, SamplingResult

# What TracerProvider itself uses for OTEL_TRACES_SAMPLER; its only public form is inside.
from opentelemetry.sdk.trace.sampling import _get_from_env_or_default as sampler_from_env
from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags
from sqlalchemy import Engine

from servicekit.observability.request_id import current_request_id

REQUEST_ID_ATTRIBUTE = "request.id"
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

_configured = threading.Lock()
_provider: TracerProvider | None = None
_sampler: "SampleWhenExported | None" = None


class SampleWhenExported(Sampler):
    """The configured sampler (OTEL_TRACES_SAMPLER; by default every span, or as the
    caller decided) once spans are exported somewhere; until then, none is recorded."""

    def __init__(self, sampler: Sampler):
        self.sampler = sampler
        self.exported = False

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:

        chosen = self.sampler if self.exported else ALWAYS_OFF
        return chosen.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return f"SampleWhenExported{{{self.sampler.get_description()}}}"


def configure_tracing(service: str) -> TracerProvider:
    """The process's tracer provider, made once (a process hosts one service; tests host
    many apps, which share it), and the instrumentation of httpx.

    The instrumentation of what only exported spans need (an exporter, Redis, SQL) is
    imported when spans are exported: about 15 MB less in every process otherwise.
    """
    global _provider, _sampler, _tracer
    with _configured:
        if _provider is None:
            _sampler = SampleWhenExported(sampler_from_env())
            _provider = TracerProvider(
                resource=Resource.create({SERVICE_NAME: service}), sampler=_sampler
            )
            _provider.add_span_processor(RequestIdSpans())
            trace.set_tracer_provider(_provider)
            _tracer = _provider.get_tracer("servicekit")
            # Calls carry the trace context whether or not spans are exported.
            HTTPXClientInstrumentor().instrument(tracer_provider=_provider)
            if any(os.environ.get(name) for name in _ENDPOINT_VARIABLES):
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                export_spans(BatchSpanProcessor(OTLPSpanExporter()))
        return _provider


def trace_calls(client: httpx.AsyncClient) -> None:
    """The trace context, and spans when they are exported, on the calls of a client
    whose transport the process-wide httpx instrumentation does not patch (it patches
    httpx's own transports: servicekit.clients.http's async client sends through aiohttp's).
    Nothing while tracing is not configured, as for every other client."""
    if _provider is not None:
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=_provider)


def export_spans(processor: SpanProcessor) -> None:
    """Sends every span ended from now on to `processor` (an exporter's, or a test's),
    and starts recording spans (see the module's docstring)."""
    if _provider is None or _sampler is None:
        raise RuntimeError("configure_tracing() first")
    _provider.add_span_processor(processor)
    _sampler.exported = True
    # Spans of the work inside a request exist only to be exported; made for nothing,
    # each Redis command and SQL statement would cost as much as its span.
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    redis = RedisInstrumentor()
    if not redis.is_instrumented_by_opentelemetry:
        redis.instrument(tracer_provider=_provider)


def recording() -> bool:
    """Whether spans are recorded: exported somewhere (see the module's docstring)."""
    return _sampler is not None and _sampler.exported


class _AsgiHeaders(Getter[list[tuple[bytes, bytes]]]):
    """Reads `traceparent` and `tracestate` from an ASGI scope's raw headers."""

    def get(self, carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        name = key.encode("latin-1")
        found = [value.decode("latin-1") for header, value in carrier if header == name]
        return found or None

    def keys(self, carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return [header.decode("latin-1") for header, _ in carrier]


_ASGI_HEADERS = _AsgiHeaders()
# The headers the process's propagators (W3C trace context and baggage) read: a request
# without any of them continues no trace, and extracting is skipped.
_CONTEXT_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})
# A proxy until configure_tracing sets the provider; then the provider's own tracer.
_tracer = trace.get_tracer("servicekit")
_ids = RandomIdGenerator()
# Made once: a TraceFlags is an int subclass, built anew on every call otherwise.
_RANDOM_ID = TraceFlags(TraceFlags.RANDOM_TRACE_ID)
_NO_FLAGS = TraceFlags(0)


def start_server_span(scope: Mapping[str, Any]) -> tuple[trace.Span, Token[Context]]:
    """The span of one request, current until `end_server_span`; it continues the
    caller's trace when a `traceparent` came with the request.

    Named by method until the route is known; attributes are set at the end, and only
    on a recorded span. (FastAPI's own server span does the same with more: it cost 80
    µs a request even unrecorded, half a constant endpoint, measured.) While nothing is
    exported the span is made here as the SDK would make it for a dropped sample,
    without the tracer's sampler and bookkeeping: 4 µs where the tracer took 16
    (microbenchmark of start and end, no trace headers).
    """
    headers = scope["headers"]
    parent = (
        propagate.extract(headers, getter=_ASGI_HEADERS)
        if any(name in _CONTEXT_HEADERS for name, _ in headers)
        else Context()
    )
    if recording():
        span = _tracer.start_span(scope["method"], context=parent, kind=SpanKind.SERVER)
    else:
        span = _unsampled_span(trace.get_current_span(parent).get_span_context())
    return span, otel_context.attach(trace.set_span_in_context(span, parent))


def _unsampled_span(parent: SpanContext) -> trace.Span:
    """What the SDK's tracer returns for a span its sampler drops: the caller's trace id
    and state or a new random id, a new span id, not sampled."""
    if parent.is_valid:
        trace_id, state = parent.trace_id, parent.trace_state
        flags = _RANDOM_ID if parent.trace_flags.random_trace_id else _NO_FLAGS
    else:
        trace_id, state, flags = _ids.generate_trace_id(), None, _RANDOM_ID
    context = SpanContext(
        trace_id, _ids.generate_span_id(), is_remote=False, trace_flags=flags, trace_state=state
    )
    return trace.NonRecordingSpan(context)


def end_server_span(
    span: trace.Span,
    token: Token[Context],
    scope: Mapping[str, Any],
    *,
    route: str | None,
    status: int,
    error: BaseException | None,
) -> None:
    if span.is_recording():
        method = scope["method"]
        span.set_attributes(
            {
                "http.request.method": method,
                "url.scheme": scope.get("scheme", "http"),
                "url.path": scope["path"],
                "http.response.status_code": status,
            }
        )
        if route is not None:
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
        if error is not None:
            span.record_exception(error)
        if status >= 500:
            span.set_attribute("error.type", type(error).__qualname__ if error else str(status))
            span.set_status(StatusCode.ERROR)
    span.end()
    otel_context.detach(token)


class RequestIdSpans(SpanProcessor):
    """Puts the request id on every span that starts while one is current: a trace found
    by its request id (from a client's error, a log line) shows all of its spans."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        request_id = current_request_id()
        if request_id is not None:
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def query_span(name: str, system: str, statement: str) -> trace.Span:
    """The span of one named query (servicekit.queries.reads), child of the current span: named
    after the query, with the attributes SQLAlchemy's instrumentation gives a statement."""
    return _tracer.start_span(
        name,
        kind=SpanKind.CLIENT,
        attributes={"db.system": system, "db.statement": statement, "db.operation.name": name},
    )


def trace_engine(engine: Engine) -> None:
    """A span per SQL statement of `engine` (an async engine's `sync_engine` for it),
    when spans are recorded.

    EngineTracer is what SQLAlchemyInstrumentor attaches; used directly because the
    instrumentor attaches to engines only once per process and also spans every
    `connect()`, one more span per request that says nothing.
    """
    if not recording():
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = metrics.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]  # unannotated upstream


def trace_celery() -> None:
    """Celery's publish and run spans, and the trace context in every message's headers,
    so a job's spans join the request that sent it. Called by the processes that use
    Celery (servicekit.clients.jobs.create_celery); before or after `configure_tracing`."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    celery = CeleryInstrumentor()  # type: ignore[no-untyped-call]  # unannotated upstream
    if not celery.is_instrumented_by_opentelemetry:
        # No provider: the global one, whenever it is set (in a worker's pool process).
        celery.instrument()
