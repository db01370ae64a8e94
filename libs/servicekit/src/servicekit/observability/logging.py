"""JSON lines on stdout: time, level, service, logger, request_id, trace_id, span_id,
message; or, with LOG_FORMAT=console (or `auto`, the default, on a terminal), the same
events as lines a person reads (servicekit.core.console).

stdlib loggers (uvicorn's error log, SQLAlchemy, libraries) and structlog loggers all
end in the same formatter, so every line has the same shape. The access line of each
request is written by `AccessLog`, in that shape too, without the formatter's cost.
"""

import asyncio
import logging
import select
import sys
import time
from typing import Any, TextIO

import orjson
import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanContext

from servicekit.core.console import ConsoleLines, wants_colour, wants_console
from servicekit.observability.request_id import current_request_id

# Loggers that install handlers of their own; ours replace them.
_FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "asgi_correlation_id")


def trace_context() -> dict[str, str]:
    """The ids of the current span, as tracing backends print them; empty outside one."""
    context = trace.get_current_span().get_span_context()
    return _ids_of(context) if context.is_valid else {}


def _ids_of(context: SpanContext) -> dict[str, str]:
    # Lowercase hex, zero-padded: what f"{id:032x}" gives, at less than half its cost.
    return {
        "trace_id": context.trace_id.to_bytes(16).hex(),
        "span_id": context.span_id.to_bytes(8).hex(),
    }


class _UtcClock:
    """ISO 8601 UTC times with microseconds, the calendar part made once a second:
    `datetime.now(UTC).isoformat()` was a tenth of an access line's cost."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        second, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{nanoseconds // 1000:06d}Z"


def _add_request_context(_logger: Any, _method: str, event: Any) -> Any:
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    for key, value in trace_context().items():
        event.setdefault(key, value)
    return event


def _orjson(event: Any, **_kw: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def _drop_reraised_errors(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Exception in ASGI application")


def configure_logging(
    service: str, level: str = "INFO", log_format: str = "auto"
) -> ConsoleLines | None:
    """Every logger's records to stdout, as LOG_FORMAT says; returns the console
    renderer when it chose console lines (for `AccessLog`), None for JSON lines."""

    def add_service(_logger: Any, _method: str, event: Any) -> Any:
        event["service"] = service
        return event

    console = None
    if wants_console(log_format, sys.stdout):
        console = ConsoleLines(colour=wants_colour(sys.stdout))

    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_service,
        _add_request_context,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            _rendered_by(console) if console else _JSON_LINES,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _FOREIGN_LOGGERS:
        foreign = logging.getLogger(name)
        foreign.handlers.clear()
        foreign.propagate = True
    # AccessLog writes the access lines, with the route and duration uvicorn's lack.
    # uvicorn writes its own when its logger has handlers (also through the root's):
    # cutting it off from the root turns them off, record creation included.
    logging.getLogger("uvicorn.access").propagate = False
    # Starlette re-raises unhandled errors after our 500 handler has logged them;
    # uvicorn would log the same traceback a second time, without the request id.
    logging.getLogger("uvicorn.error").addFilter(_drop_reraised_errors)
    # SQL statements are never logged (no echo); only SQLAlchemy's warnings pass.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    # SQLAlchemy names a pool's logger after its class: ours lives in servicekit.db.pools.
    logging.getLogger("servicekit.db.pools").setLevel(logging.WARNING)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return console


_JSON_LINES = structlog.processors.JSONRenderer(serializer=_orjson)


def _rendered_by(console: ConsoleLines) -> structlog.typing.Processor:
    def render(_logger: Any, _method: str, event: Any) -> str:
        return console.render(event)

    return render


class AccessLog:
    """One JSON line per answered request: method, route, status, duration, ids.

    Written straight to the stream: the stdlib and structlog chain costs more than the
    request on a fast endpoint (measured by `make bench-ceiling`), and these fields are
    known already. The line has the shape of every other line.

    Lines go out in batches, as nginx's `access_log ... buffer= flush=` does: one write
    per PIPE_BUF bytes of lines, and at least every FLUSH_SECONDS (`run`). Containers run
    Python unbuffered, so a write per line was a system call per request, a sixth of a
    short request's time. A batch never exceeds PIPE_BUF, so it reaches a pipe whole,
    never interleaved with another writer's line. The app flushes the rest at shutdown; a
    process that is killed loses at most the last FLUSH_SECONDS of access lines.
    Only the event loop's thread writes (the middleware runs there): no lock is needed.
    """

    FLUSH_SECONDS = 0.5
    BATCH_BYTES = select.PIPE_BUF

    def __init__(
        self, service: str, stream: TextIO | None = None, *, console: ConsoleLines | None = None
    ):
        self._service = service
        self._stream = stream
        # Console lines (servicekit.core.console) rather than JSON, as configure_logging chose.
        self._console = console
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._clock = _UtcClock()

    def write(
        self,
        *,
        method: str,
        route: str,
        status: int,
        seconds: float,
        mode: str,
        path: str,
        span: SpanContext | None,
    ) -> None:
        """`span`: the request's span, whose ids the line carries (the middleware has it
        at hand; finding the current one again cost as much as the rest of the line)."""
        line = {
            "time": self._clock.now(),
            "level": "info",
            "logger": "access",
            "service": self._service,
            "request_id": current_request_id(),
            **(_ids_of(span) if span is not None and span.is_valid else {}),
            "message": f"{method} {route} {status}",
            "method": method,
            "route": route,
            # Which resource, beside its route; never the query string, where searches
            # and tokens would end up in the logs.
            "path": path[:200],
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "mode": mode,
        }
        if self._console is None:
            data = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        else:
            data = (self._console.render(line) + "\n").encode()
        if self._pending_bytes + len(data) > self.BATCH_BYTES:
            self.flush()
        self._pending.append(data)
        self._pending_bytes += len(data)

    def flush(self) -> None:
        if not self._pending:
            return
        batch = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        stream = self._stream or sys.stdout
        stream.write(batch.decode())
        stream.flush()

    async def run(self) -> None:
        """Flushes every FLUSH_SECONDS, until cancelled."""
        while True:
            await asyncio.sleep(self.FLUSH_SECONDS)
            self.flush()
