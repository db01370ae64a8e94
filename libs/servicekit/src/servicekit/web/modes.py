"""`BothModes`: one declaration per operation, served in both modes.

Every operation exists as an `async def` handler under /api and a `def` handler under
/sync/api, with one contract. An operation that is one service call is declared once,
as a plain function of a sync `Session` named `session`:

    @api.get("/tasks/{task_id}")
    def read_task(principal: CurrentUser, task_id: TaskId, session: Session) -> TaskRead:
        return service.get_task(session, principal, task_id)

and `BothModes` registers it twice: an `async def` handler that takes an `AsyncSession`
and runs the body through `AsyncSession.run_sync` (on the event loop, as the greenlet
bridge does every async statement), and a `def` handler that FastAPI runs in its thread
pool with a sync `Session`. Both have the declaration's signature, dependencies, status
and response model, and both return the result already serialized: a `def` handler must
(servicekit.web.responses says why), and for an `async def` one it skips FastAPI's second
validation of a value the service built. A list returns its page, annotated
`-> Page[Model]` or `-> RowPage[Model]` (servicekit.web.pagination): the page serializes
itself, once, and is documented as `Page[Model]`.

A read takes `reads: Reads` instead of the session (servicekit.queries.reads): its named
queries run on the driver's connection, asyncpg or asyncmy awaited from the greenlet
the async handler runs the body in, psycopg or PyMySQL called from the `def` handler:

    @api.get("/tasks/{task_id}")
    def read_task(principal: CurrentUser, task_id: TaskId, reads: Reads) -> TaskRead:
        return service.get_task(reads, principal, task_id)

An operation with I/O of its own besides the database (Redis, another service, the
password hash) is written out as a pair, `mode="async"` and then `mode="sync"`; the sync
twin, named like the async one plus `_sync`, takes its twin's contract (status,
responses, response model, name), so the two stay one operation in the OpenAPI document.
"""

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from servicekit.queries.reads import Reads, run_read, run_read_sync
from servicekit.web.openapi import USES_DATABASE
from servicekit.web.pagination import BasePage
from servicekit.web.responses import no_content
from servicekit.web.sessions import async_session, sync_session
from servicekit.web.state import state_of

ASYNC_PREFIX = "/api"
SYNC_PREFIX = "/sync/api"
SYNC_SUFFIX = "_sync"

Handler = TypeVar("Handler", bound=Callable[..., Any])
# The handlers' parameter in the place of the declaration's `session` or `reads`.
REQUEST = "servicekit_request"
# What a declaration names its database access: a session, or the reads of a read.
_ACCESS = {"session": Session, "reads": Reads}
Mode = Literal["both", "async", "sync"]


class BothModes:
    """The routes of one domain in both modes: `routers` goes to `create_app`."""

    def __init__(self) -> None:
        self.async_router = APIRouter(prefix=ASYNC_PREFIX, tags=["async"])
        self.sync_router = APIRouter(prefix=SYNC_PREFIX, tags=["sync"])

    @property
    def routers(self) -> tuple[APIRouter, APIRouter]:
        return self.async_router, self.sync_router

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)

    def route(
        self,
        method: str,
        path: str,
        *,
        mode: Mode = "both",
        location: str | None = None,
        **options: Any,
    ) -> Callable[[Handler], Handler]:
        """Registers the decorated function (see the module docstring for `mode`).

        `location`, a path under the mode's prefix formatted with the result's `id`,
        becomes the Location header of a creation.
        `options` are FastAPI's route options (status_code, responses, ...).
        """

        def register(handler: Handler) -> Handler:
            if mode == "async":
                self.async_router.add_api_route(path, handler, methods=[method], **options)
            elif mode == "sync":
                self._add_sync_twin(method, path, handler)
            else:
                declaration = _Declaration(handler, location, options)
                for router in self.routers:
                    declaration.register(router, method, path)
            return handler

        return register

    def _add_sync_twin(self, method: str, path: str, handler: Callable[..., Any]) -> None:
        name = handler.__name__.removesuffix(SYNC_SUFFIX)
        twin = _route(self.async_router, method, ASYNC_PREFIX + path)
        if twin is None or twin.name != name or name == handler.__name__:
            raise TypeError(f"{handler.__name__} needs an async twin {name} at {method} {path}")
        self.sync_router.add_api_route(
            path,
            handler,
            methods=[method],
            name=twin.name,
            status_code=twin.status_code,
            response_model=twin.response_model,
            responses=twin.responses,
            description=twin.description,
        )


def _route(router: APIRouter, method: str, path: str) -> APIRoute | None:
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            return route
    return None


class _Declaration:
    """One operation declared once: makes its async and its sync handler."""

    def __init__(
        self,
        function: Callable[..., Any],
        location: str | None,
        options: Mapping[str, Any],
    ):
        hints = typing.get_type_hints(function, include_extras=True)
        found = [name for name, kind in _ACCESS.items() if hints.get(name) is kind]
        if len(found) != 1:
            raise TypeError(
                f"{function.__name__} needs one parameter `session: Session` or `reads: Reads`"
            )
        self.access = found[0]
        self.function = function
        self.location = location
        self.options = dict(options)
        self.status_code: int = self.options.setdefault("status_code", 200)
        result = hints.get("return")
        if result is type(None):
            result = None
        self.response_model = result
        # A page serializes itself (servicekit.web.pagination); any other result by its type.
        self._is_page = isinstance(result, type) and issubclass(result, BasePage)
        self._serialize = None
        if result is not None and not self._is_page:
            self._serialize = TypeAdapter(result).dump_json
        signature = inspect.signature(function)
        self.parameters = [
            parameter.replace(annotation=hints[parameter.name])
            for parameter in signature.parameters.values()
        ]

    def register(self, router: APIRouter, method: str, path: str) -> None:
        is_async = router.prefix == ASYNC_PREFIX
        make_handler = self._async_handler if is_async else self._sync_handler
        handler = make_handler(router.prefix)
        # The handler opens the session itself rather than through a FastAPI
        # dependency: the same session, commit and rollback, without solving a
        # dependency per request (a fifth of a users-list request) and, for a `def`
        # handler, without two more trips to the thread pool to enter and leave it.
        parameters = [
            p.replace(name=REQUEST, annotation=Request) if p.name == self.access else p
            for p in self.parameters
        ]
        # Set by hand, not with functools.wraps: FastAPI unwraps `__wrapped__` to decide
        # whether a handler is a coroutine function.
        handler.__signature__ = inspect.Signature(parameters, return_annotation=Response)  # type: ignore[attr-defined]
        handler.__name__ = handler.__qualname__ = self.function.__name__
        handler.__doc__ = self.function.__doc__
        handler.__module__ = self.function.__module__
        setattr(handler, USES_DATABASE, True)  # its 503 goes into the OpenAPI document
        router.add_api_route(
            path, handler, methods=[method], response_model=self.response_model, **self.options
        )

    def _respond(self, result: Any, prefix: str) -> Response:
        if self._is_page:
            page: BasePage = result  # what a listing's handler returns: a Page or a RowPage
            return page.response()
        if self._serialize is None:
            return no_content()
        headers = None
        if self.location is not None:
            headers = {"Location": prefix + self.location.format(id=result.id)}
        return Response(
            self._serialize(result),
            status_code=self.status_code,
            headers=headers,
            media_type="application/json",
        )

    def _async_handler(self, prefix: str) -> Callable[..., Any]:
        function, respond = self.function, self._respond
        if self.access == "reads":

            async def read_handler(**arguments: Any) -> Response:
                db = state_of(arguments.pop(REQUEST).app).db
                result = await run_read(db, lambda reads: function(reads=reads, **arguments))
                return respond(result, prefix)

            return read_handler

        async def handler(**arguments: Any) -> Response:
            db = state_of(arguments.pop(REQUEST).app).db
            async with async_session(db) as session:
                result = await session.run_sync(lambda sync: function(session=sync, **arguments))
            return respond(result, prefix)

        return handler

    def _sync_handler(self, prefix: str) -> Callable[..., Any]:
        function, respond = self.function, self._respond
        if self.access == "reads":

            def read_handler(**arguments: Any) -> Response:
                db = state_of(arguments.pop(REQUEST).app).db
                result = run_read_sync(db, lambda reads: function(reads=reads, **arguments))
                return respond(result, prefix)

            return read_handler

        def handler(**arguments: Any) -> Response:
            db = state_of(arguments.pop(REQUEST).app).db
            with sync_session(db) as session:
                result = function(session=session, **arguments)
            return respond(result, prefix)

        return handler
