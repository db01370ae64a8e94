"""Observes every request once: its server span, its metrics and its access line.

Pure ASGI, inside the request-id middleware, so the span and the access line know the
request id, and the access line the trace id. The route
template is read from the scope after the router has matched it: no second routing
pass, and unknown paths all count as one `unmatched` route. Probes and scrapes are not
observed: they would drown the requests that matter.
"""

from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.observability.logging import AccessLog
from servicekit.observability.metrics import UNMATCHED_ROUTE, HttpMetrics, mode_of
from servicekit.observability.tracing import end_server_span, start_server_span

UNOBSERVED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


class RequestTelemetryMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        traced: bool,
        metrics: HttpMetrics | None,
        access_log: AccessLog | None,
    ):
        self.app = app
        self.traced = traced
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNOBSERVED_PATHS:
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before answering
        error = None
        metrics = self.metrics

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        server_span = start_server_span(scope) if self.traced else None
        if metrics:
            metrics.in_flight += 1
        start = perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        except BaseException as raised:
            error = raised
            raise
        finally:
            seconds = perf_counter() - start
            route = scope.get("route")
            template = route.path if route is not None else UNMATCHED_ROUTE
            mode = mode_of(template if route is not None else scope["path"])
            method = scope["method"]
            if metrics:
                metrics.in_flight -= 1
                metrics.observe(template, method, status, mode, seconds)
            if self.access_log:
                self.access_log.write(
                    method=method,
                    route=template,
                    status=status,
                    seconds=seconds,
                    mode=mode,
                    path=scope["path"],
                    span=server_span[0].get_span_context() if server_span else None,
                )
            if server_span is not None:
                span, token = server_span
                path = route.path if route is not None else None
                end_server_span(span, token, scope, route=path, status=status, error=error)
