"""The OpenAPI document of a service, saying what the service answers.

FastAPI documents each operation's successful response, and a 422 as `application/json`;
every error a service answers is an RFC 9457 problem in `application/problem+json`
(servicekit.web.problem_details). `install_openapi` keeps FastAPI's document and completes it:

- every operation lists the problems servicekit itself answers there, with one shared
  `Problem` schema: 422 (invalid input, for operations with parameters or a body), 400
  and 413 (a body that cannot be read or is too large), 401 (a token is required), 404
  (a path that names something), 503 (the database or Redis did not answer);
- a route adds the problems of its own rules with `responses=problem_responses(...)`
  (a 403, a 409, a 429), named by their error classes;
- integer bounds are written as the integers they are: FastAPI's models make them
  floats, which wrote the largest id as 9.223372036854776e+18 (2**63, out of range).
"""

import typing
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from servicekit.core.errors import RetryLater, ServiceError, Unauthorized
from servicekit.web import sessions, state
from servicekit.web.inputs import MAX_ID

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA_NAME = "Problem"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM_SCHEMA_NAME,
    "description": "An RFC 9457 problem: what went wrong, and the request's id.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "The request's X-Request-ID"},
        "errors": {
            "description": "The invalid fields of a 422: where and why",
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["loc", "msg", "type"],
            },
        },
        "checks": {
            "description": "What /readyz found, by dependency: ok or unavailable",
            "type": "object",
            "additionalProperties": {"type": "string"},
        },
    },
    "required": ["type", "title", "status", "detail", "request_id"],
}

_RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_WWW_AUTHENTICATE = {
    "description": "The scheme to authenticate with: Bearer",
    "required": True,
    "schema": {"type": "string"},
}

# FastAPI's own 422 schemas, replaced by `Problem`: dropped once nothing refers to them.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_response(
    description: str, *, headers: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One response object of the document: a problem, with the headers it carries."""
    ref = f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": ref}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _headers_of(error: type[ServiceError]) -> dict[str, dict[str, Any]]:
    headers = {}
    if issubclass(error, Unauthorized):
        headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
    if issubclass(error, RetryLater):
        headers["Retry-After"] = _RETRY_AFTER
    return headers


def problem_responses(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: the problems of the service's own rules it answers
    (those servicekit answers on every route of its kind are documented anyway)."""
    by_status: dict[int, list[type[ServiceError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, kinds in sorted(by_status.items()):
        description = "; ".join(dict.fromkeys(kind.title for kind in kinds))
        headers = {name: spec for kind in kinds for name, spec in _headers_of(kind).items()}
        responses[status] = problem_response(description, headers=headers)
    return responses


# Set on a handler that opens a database session itself (servicekit.web.modes).
USES_DATABASE = "servicekit_uses_database"


def _backend_dependencies() -> frozenset[Callable[..., Any]]:
    """The dependencies through which a route uses the database or Redis."""
    annotated = (
        sessions.SessionDep,
        sessions.SyncSessionDep,
        state.DatabaseDep,
        state.RedisDep,
        state.SyncRedisDep,
    )
    return frozenset(typing.get_args(alias)[1].dependency for alias in annotated)


def _uses(dependant: Any, calls: frozenset[Callable[..., Any]]) -> bool:
    return any(
        sub.call in calls or _uses(sub, calls) for sub in getattr(dependant, "dependencies", ())
    )


def _operations_using_backends(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every operation whose route may find its backend away (a 503)."""
    backends = _backend_dependencies()
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        path = route.path_format  # None on a route the OpenAPI document cannot list
        # A BothModes declaration opens its session in the handler, not as a dependency.
        declared = getattr(getattr(route, "endpoint", None), USES_DATABASE, False)
        uses = declared or (dependant is not None and _uses(dependant, backends))
        if path is not None and uses:
            found |= {(path, method.lower()) for method in route.methods or ()}
    return found


def _generic_problems(
    operation: dict[str, Any], *, uses_backends: bool, max_body_bytes: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The problems servicekit answers on an operation of this shape, whatever its route."""
    if operation.get("requestBody"):
        yield "400", problem_response("Bad Request: the body cannot be read (not UTF-8 JSON)")
        yield "413", problem_response(f"Content Too Large: a body over {max_body_bytes} bytes")
    if operation.get("security"):
        yield (
            "401",
            problem_response(
                "Not authenticated: the bearer token is missing, invalid, expired or revoked",
                headers={"WWW-Authenticate": _WWW_AUTHENTICATE},
            ),
        )
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", ())):
        yield "404", problem_response("Not Found: nothing this caller may see has this id")
    if uses_backends:
        yield (
            "503",
            problem_response(
                "Service Unavailable: the database, Redis or a service it needs did not"
                " answer in time; retry after Retry-After seconds",
                headers={"Retry-After": _RETRY_AFTER},
            ),
        )


_VALIDATION_PROBLEM = "Request validation failed: `errors` names each invalid field and why"

_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
# Every integer up to 2**53 is a float exactly; the one larger bound servicekit writes
# is the largest id, which a float rounds up to 2**63.
_EXACT_FLOAT_INTEGERS = 2**53
_ROUNDED_BOUNDS = {float(MAX_ID): MAX_ID, float(-MAX_ID - 1): -MAX_ID - 1}


def _exact_integer(value: float) -> int:
    if abs(value) <= _EXACT_FLOAT_INTEGERS:
        return int(value)
    if value in _ROUNDED_BOUNDS:
        return _ROUNDED_BOUNDS[value]
    raise ValueError(f"an integer bound {value!r} that a float cannot hold exactly")


def _restore_integer_bounds(node: object) -> None:
    if isinstance(node, dict):
        types = node.get("type")
        if types == "integer" or (isinstance(types, list) and types == ["integer"]):
            for key in _BOUNDS:
                value = node.get(key)
                if isinstance(value, float) and value.is_integer():
                    node[key] = _exact_integer(value)
        for child in node.values():
            _restore_integer_bounds(child)
    elif isinstance(node, list):
        for child in node:
            _restore_integer_bounds(child)


def _refers_to(node: object, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_refers_to(child, ref) for child in node.values())
    if isinstance(node, list):
        return any(_refers_to(child, ref) for child in node)
    return False


def complete(
    document: dict[str, Any], *, backends: set[tuple[str, str]], max_body_bytes: int
) -> None:
    """Completes FastAPI's document in place (see the module docstring)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "422" in responses:
                responses["422"] = problem_response(_VALIDATION_PROBLEM)
            generic = _generic_problems(
                operation,
                uses_backends=(path, method) in backends,
                max_body_bytes=max_body_bytes,
            )
            for status, response in generic:
                responses.setdefault(status, response)  # a route's own description wins
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        others = {key: value for key, value in schemas.items() if key != name}
        if name in schemas and not _refers_to(
            [document["paths"], others], f"#/components/schemas/{name}"
        ):
            del schemas[name]
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    _restore_integer_bounds(document)


def install_openapi(app: FastAPI, *, max_body_bytes: int) -> None:
    """Serves the completed document at /openapi.json (and from `app.openapi()`)."""
    generate = app.openapi  # FastAPI's: made again only when the routes change
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = generate()
        if not completed or completed[0] is not document:
            complete(
                document, backends=_operations_using_backends(app), max_body_bytes=max_body_bytes
            )
            completed[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
