"""Responses that `def` handlers return already serialized.

FastAPI validates and serializes a `def` handler's return value in a second trip
through its thread pool, while the request's session still holds a pooled connection.
Under load every thread then waits for a connection held by a request that waits for a
thread: a deadlock until the pool timeout. A `def` handler that returns a Response
skips that trip, so its connection goes back to the pool as soon as it returns.
"""

from collections.abc import Mapping

from fastapi.responses import Response
from pydantic import BaseModel


def json_response(
    model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def no_content() -> Response:
    return Response(status_code=204)
