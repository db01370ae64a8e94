"""A minimal OTLP/HTTP trace receiver: keeps the spans that real processes export, so a
test can read one request's trace across services and jobs.

It speaks what the services' exporter sends (`POST /v1/traces`, protobuf) and nothing
more; it is a test double of a collector, not of the services.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self, cast

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

# Spans kept at most: the session's stack serves thousands of requests.
MAX_SPANS = 200_000


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER or INTERNAL
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, object]


def _value(value: AnyValue) -> object:
    field = value.WhichOneof("value")
    return getattr(value, field) if field else None


def _kind(number: int) -> str:
    names = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
    return names.get(number, "UNSPECIFIED")


class OtlpReceiver:
    def __init__(self, host: str = "127.0.0.1"):
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver._keep(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """What OTEL_EXPORTER_OTLP_ENDPOINT is set to."""
        # An AF_INET server's address is (host, port).
        host, port = cast(tuple[str, int], self._server.server_address)
        return f"http://{host}:{port}"

    def _keep(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            service = str(resource.get("service.name", ""))
            for scope_spans in resource_spans.scope_spans:
                received += [
                    ReceivedSpan(
                        service=service,
                        name=span.name,
                        kind=_kind(span.kind),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        attributes={a.key: _value(a.value) for a in span.attributes},
                    )
                    for span in scope_spans.spans
                ]
        with self._lock:
            self._spans = (self._spans + received)[-MAX_SPANS:]

    def spans(self, trace_id: str | None = None) -> list[ReceivedSpan]:
        with self._lock:
            return [s for s in self._spans if trace_id is None or s.trace_id == trace_id]

    def wait_for(
        self,
        found: Callable[[list[ReceivedSpan]], bool],
        *,
        trace_id: str | None = None,
        timeout: float = 15.0,
    ) -> list[ReceivedSpan]:
        """The spans (of one trace, if given) once `found(spans)` holds; raises
        TimeoutError with what arrived when it never does."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.spans(trace_id)
            if found(spans):
                return spans
            if time.monotonic() > deadline:
                names = sorted({f"{s.service}: {s.name}" for s in spans})
                raise TimeoutError(f"spans not complete after {timeout:g} s; got {names}")
            time.sleep(0.1)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
