"""Domain errors that carry their HTTP status; servicekit.web.problem_details renders them
as RFC 9457 bodies.

Services raise these from any layer; none of this imports a web framework, so jobs
and scripts can raise and catch them too.
"""

from typing import ClassVar


class ServiceError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    # A URI naming the kind of problem; about:blank means "see the status code".
    type: ClassVar[str] = "about:blank"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}


class BadRequest(ServiceError):
    status = 400
    title = "Bad Request"


class Unauthorized(ServiceError):
    status = 401
    title = "Not authenticated"

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="services"'})


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not Found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class InvalidInput(ServiceError):
    """Input that passed the schema but breaks a rule the schema cannot state."""

    status = 422
    title = "Invalid input"


class RetryLater(ServiceError):
    """An error the client may retry after `retry_after` seconds (a Retry-After header)."""

    def __init__(self, detail: str | None = None, *, retry_after: int = 1):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class TooManyRequests(RetryLater):
    status = 429
    title = "Too Many Requests"


class ServiceUnavailable(RetryLater):
    status = 503
    title = "Service Unavailable"
