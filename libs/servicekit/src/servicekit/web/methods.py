"""The methods a path allows, answered the same way for every route.

Starlette matches routes one at a time, so on its own a path's 405 named the methods of
its first route only (`Allow: GET` on /api/items/1, which PATCH and DELETE also take),
OPTIONS and HEAD were 405s, and a path that a route spells out (/api/tasks/summary) fell
through to a parameter route (/api/tasks/{task_id}) for the methods it lacks: a 422
about the id instead of a 405.

This middleware runs right around the router and looks each path up in a table of the
app's routes, made at the first request:
- a path no route matches goes on to the router (its 404, or its slash redirect);
- a path of literal segments belongs to the routes that spell it out: no parameter
  route matches it (`summary` is never a task id);
- the path allows the methods of the routes that match it, HEAD with GET, and OPTIONS;
- OPTIONS is a 204 with `Allow`, HEAD is answered as GET without the body, and a method
  the path does not allow is a 405 problem with `Allow`.
"""

import re
from dataclasses import dataclass, field

from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.web.problem_details import problem


@dataclass
class _Path:
    """The routes of one path template: their methods, and what `Allow` says."""

    methods: set[str] = field(default_factory=set)
    # One of its routes: the scope's `route` on the answers made here, so that the
    # metrics and the access line name the template, as for the router's own answers.
    route: BaseRoute | None = None
    allow: str = ""

    def finish(self) -> "_Path":
        allowed = self.methods | {"OPTIONS"} | ({"HEAD"} if "GET" in self.methods else set())
        self.allow = ", ".join(sorted(allowed))
        return self


class _RouteTable:
    def __init__(self, routes: list[BaseRoute]):
        self._literal: dict[str, _Path] = {}
        self._templates: dict[str, tuple[re.Pattern[str], _Path]] = {}
        for route in iter_route_contexts(routes):
            template, regex = route.path_format, getattr(route, "path_regex", None)
            if not route.methods or template is None or regex is None:
                continue  # mounts and websockets: the router alone decides
            if not route.param_convertors:
                path = self._literal.setdefault(template, _Path())
            else:
                path = self._templates.setdefault(template, (regex, _Path()))[1]
            path.methods |= set(route.methods)
            path.route = path.route or route.original_route
        for path in [*self._literal.values(), *(entry for _, entry in self._templates.values())]:
            path.finish()

    def match(self, path: str) -> _Path | None:
        literal = self._literal.get(path)
        if literal is not None:
            return literal
        found = [entry for regex, entry in self._templates.values() if regex.match(path)]
        if len(found) <= 1:
            return found[0] if found else None
        methods = set().union(*(entry.methods for entry in found))
        return _Path(methods, found[0].route).finish()


class AllowedMethodsMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        self._table: _RouteTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._table is None:
            self._table = _RouteTable(scope["app"].routes)
        found = self._table.match(get_route_path(scope))
        method = scope["method"]
        if found is None or method in found.methods:
            await self.app(scope, receive, send)
        elif method == "HEAD" and "GET" in found.methods:
            await self._head_as_get(scope, receive, send)
        else:
            scope["route"] = found.route
            headers = {"Allow": found.allow}
            if method == "OPTIONS":
                response: Response = Response(status_code=204, headers=headers)
            else:
                response = problem(Request(scope), 405, headers=headers)
            await response(scope, receive, send)

    async def _head_as_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        get = dict(scope, method="GET")

        async def without_body(message: Message) -> None:
            # The GET's headers, Content-Length included, and then an empty body.
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(get, receive, without_body)
        finally:
            if "route" in get:  # what the router matched, for the metrics and access line
                scope["route"] = get["route"]
