"""OpenTelemetry traces: one per request, across services (httpx) and into jobs (Celery).

Spans are exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces
variant) is set; the SDK reads the standard OTEL_* variables (sampler, headers,
timeouts) itself. Without an exporter no span is recorded, but every request still has
a trace context: its ids go into every log line and, as `traceparent`, into the calls
and jobs it makes, so one request's lines can be found across services. Recording spans
that go nowhere would cost the requests a tenth of their time for nothing.
"""

import os
import threading

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler, SamplingResult
from opentelemetry.sdk.trace.sampling import _get_from_env_or_default as sampler_from_env
from sqlalchemy import Engine

from servicekit.request_id import current_request_id

REQUEST_ID_ATTRIBUTE = "request.id"
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
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

    def should_sample(self, *args, **kwargs) -> SamplingResult:
        chosen = self.sampler if self.exported else ALWAYS_OFF
        return chosen.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return f"SampleWhenExported{{{self.sampler.get_description()}}}"


def configure_tracing(service: str) -> TracerProvider:
    """The process's tracer provider, made once (a process hosts one service; tests host
    many apps, which share it), and the instrumentation of httpx, Redis and Celery."""
    global _provider, _sampler
    with _configured:
        if _provider is None:
            _sampler = SampleWhenExported(sampler_from_env())
            _provider = TracerProvider(
                resource=Resource.create({SERVICE_NAME: service}), sampler=_sampler
            )
            _provider.add_span_processor(RequestIdSpans())
            trace.set_tracer_provider(_provider)
            # Calls and jobs carry the trace context whether or not spans are exported.
            HTTPXClientInstrumentor().instrument(tracer_provider=_provider)
            CeleryInstrumentor().instrument(tracer_provider=_provider)
            if any(os.environ.get(name) for name in _ENDPOINT_VARIABLES):
                export_spans(BatchSpanProcessor(OTLPSpanExporter()))
        return _provider


def export_spans(processor: SpanProcessor) -> None:
    """Sends every span ended from now on to `processor` (an exporter's, or a test's),
    and starts recording spans (see the module's docstring)."""
    if _provider is None or _sampler is None:
        raise RuntimeError("configure_tracing() first")
    _provider.add_span_processor(processor)
    _sampler.exported = True
    # Spans of the work inside a request exist only to be exported; made for nothing,
    # each Redis command and SQL statement would cost as much as its span.
    redis = RedisInstrumentor()
    if not redis.is_instrumented_by_opentelemetry:
        redis.instrument(tracer_provider=_provider)


def recording() -> bool:
    """Whether spans are recorded: exported somewhere (see the module's docstring)."""
    return _sampler is not None and _sampler.exported


def fastapi_telemetry(enabled: bool) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry support, for `FastAPI(telemetry=...)`: a server span
    per request, named by its route template, continuing the caller's `traceparent`.

    Spans only: metrics are Prometheus' (servicekit.metrics) and logs are JSON lines.
    Health probes and scrapes are not traced.
    """
    return {
        "tracing": enabled,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": lambda scope: scope.get("path") in UNTRACED_PATHS,
    }


class RequestIdSpans(SpanProcessor):
    """Puts the request id on every span that starts while one is current: a trace found
    by its request id (from a client's error, a log line) shows all of its spans."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        request_id = current_request_id()
        if request_id is not None:
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def tag_server_span() -> None:
    """Puts the request id on the request's server span, which FastAPI starts outside
    every middleware, before the request id is known."""
    span = trace.get_current_span()
    request_id = current_request_id()
    if request_id is not None and span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def trace_engine(engine: Engine) -> None:
    """A span per SQL statement of `engine` (an async engine's `sync_engine` for it),
    when spans are recorded.

    EngineTracer is what SQLAlchemyInstrumentor attaches; used directly because the
    instrumentor attaches to engines only once per process and also spans every
    `connect()`, one more span per request that says nothing.
    """
    if not recording():
        return
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = metrics.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, usage)
