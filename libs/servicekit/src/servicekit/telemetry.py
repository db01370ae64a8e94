"""Measures every request once and hands the outcome to the metrics and the access log;
tags the request's server span with its request id.

Pure ASGI, inside the request-id middleware and inside FastAPI's server span, so the
access line carries both ids. The route template is read from the scope after the
router has matched it: no second routing pass, and unknown paths all count as one
`unmatched` route.
"""

from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.logging import AccessLog
from servicekit.metrics import UNMATCHED_ROUTE, HttpMetrics, mode_of
from servicekit.tracing import tag_server_span

# Probes and scrapes would drown the requests that matter.
UNOBSERVED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


class RequestTelemetryMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics | None, access_log: AccessLog | None):
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNOBSERVED_PATHS:
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before answering
        metrics = self.metrics

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        tag_server_span()
        if metrics:
            metrics.in_flight.inc()
        start = perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            seconds = perf_counter() - start
            route = scope.get("route")
            template = route.path if route is not None else UNMATCHED_ROUTE
            mode = mode_of(template if route is not None else scope["path"])
            method = scope["method"]
            if metrics:
                metrics.in_flight.dec()
                metrics.observe(template, method, status, mode, seconds)
            if self.access_log:
                self.access_log.write(
                    method=method,
                    route=template,
                    status=status,
                    seconds=seconds,
                    mode=mode,
                    path=None if route is not None else scope["path"],
                )
