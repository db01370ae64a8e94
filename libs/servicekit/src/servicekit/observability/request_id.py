"""Request ids: kept from `X-Request-ID` when well-formed, else made with servicekit.core.ids.

The id lives in a contextvar for the duration of the request so that logs, outbound
calls and jobs carry it.
"""

import functools
import re
from collections.abc import Callable

from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id
from starlette.types import ASGIApp

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def is_well_formed(value: str) -> bool:
    # A strict pattern keeps newlines and markup out of logs and headers.
    return _WELL_FORMED.fullmatch(value) is not None


def current_request_id() -> str | None:
    return correlation_id.get()


def request_id_middleware(make_id: Callable[[], int]) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware, configured: what `app.add_middleware` takes."""
    return functools.partial(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        generator=lambda: str(make_id()),
        validator=is_well_formed,
        transformer=None,
    )
