"""One rendering of every error as an RFC 9457 `application/problem+json` body.

Each body carries the request id. No stack trace leaves the service: unexpected errors
are logged with their traceback and answered with a generic 500.
"""

import logging
from collections.abc import Mapping
from http import HTTPStatus

import orjson
import redis.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from servicekit.core.errors import ServiceError
from servicekit.db.engines import is_unavailable
from servicekit.observability.request_id import REQUEST_ID_HEADER, current_request_id

logger = logging.getLogger(__name__)


class ProblemResponse(Response):
    media_type = "application/problem+json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)


def problem(
    request: Request,
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> ProblemResponse:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": type_,
        "title": title or phrase,
        "status": status,
        "detail": detail or title or phrase,
        # No `instance`: the path would echo whatever a client put in it.
        "request_id": current_request_id(),
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


async def _service_error(request: Request, error: ServiceError) -> ProblemResponse:
    return problem(
        request,
        error.status,
        title=error.title,
        detail=error.detail,
        type_=error.type,
        headers=error.headers,
    )


async def _validation_error(request: Request, error: RequestValidationError) -> ProblemResponse:
    # Only where and why: echoing `input` would reflect whatever a client sent, 10 MB included.
    errors = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type")}
        for item in error.errors()
    ]
    count = len(errors)
    return problem(
        request,
        422,
        title="Request validation failed",
        detail=f"{count} invalid field{'s' if count != 1 else ''}",
        errors=errors,
    )


async def _http_error(request: Request, error: HTTPException) -> ProblemResponse:
    detail = error.detail if isinstance(error.detail, str) else None
    return problem(request, error.status_code, detail=detail, headers=error.headers)


_UNEXPECTED = "An unexpected error occurred; it has been logged."


async def _database_error(request: Request, error: sa_exc.SQLAlchemyError) -> ProblemResponse:
    if not is_unavailable(error):
        logger.error("database error", exc_info=error)
        return problem(request, 500, detail=_UNEXPECTED)
    # One line, no traceback: during an outage every request ends here.
    cause = getattr(error, "orig", None) or error
    # asyncpg's TimeoutError (a call past DB_CALL_TIMEOUT) says nothing but its name.
    said = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    logger.warning("database unavailable: %s", said)
    return problem(
        request,
        503,
        title="Database unavailable",
        detail="The database did not answer in time; retry shortly.",
        headers={"Retry-After": "1"},
    )


async def _connection_error(request: Request, error: OSError) -> ProblemResponse:
    # Some drivers (asyncpg among them) raise the OS error itself when they cannot connect.
    logger.warning("backend unreachable: %r", error)
    return problem(
        request,
        503,
        title="Backend unavailable",
        detail="A database or service this request needs did not answer; retry shortly.",
        headers={"Retry-After": "1"},
    )


async def _redis_error(request: Request, error: redis.exceptions.RedisError) -> ProblemResponse:
    logger.warning("redis unavailable: %s", error)
    return problem(
        request,
        503,
        title="Redis unavailable",
        detail="A backing store did not answer in time; retry shortly.",
        headers={"Retry-After": "1"},
    )


async def _unexpected_error(request: Request, error: Exception) -> ProblemResponse:
    logger.error("unhandled error", exc_info=error)
    # Starlette answers these outside every middleware, so the request id header is
    # added here: the request id middleware never sees this response.
    request_id = current_request_id()
    headers = {REQUEST_ID_HEADER: request_id} if request_id else None
    return problem(request, 500, detail=_UNEXPECTED, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    # Starlette types a handler as taking any Exception; each of these takes its own.
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(sa_exc.SQLAlchemyError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(redis.exceptions.ConnectionError, _redis_error)  # type: ignore[arg-type]
    app.add_exception_handler(redis.exceptions.TimeoutError, _redis_error)  # type: ignore[arg-type]
    app.add_exception_handler(ConnectionError, _connection_error)  # type: ignore[arg-type]
    app.add_exception_handler(TimeoutError, _connection_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
