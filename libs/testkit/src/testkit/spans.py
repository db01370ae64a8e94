"""The spans this process ends during a test."""

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from servicekit.observability.tracing import configure_tracing, export_spans


class _SpanRecorder(SpanProcessor):
    """Keeps the spans that end while a test records; the process's tracer provider
    keeps its processors for good, so this one is added once and switched on and off."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self.recording = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording:
            self.spans.append(span)


@pytest.fixture(scope="session")
def _span_recorder() -> _SpanRecorder:
    recorder = _SpanRecorder()
    configure_tracing("tests")
    export_spans(recorder)
    return recorder


@pytest.fixture
def recorded_spans(_span_recorder: _SpanRecorder) -> Iterator[list[ReadableSpan]]:
    """The spans ended in this process during the test, in the order they ended."""
    _span_recorder.spans = []
    _span_recorder.recording = True
    try:
        yield _span_recorder.spans
    finally:
        _span_recorder.recording = False
