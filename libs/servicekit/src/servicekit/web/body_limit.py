"""Refuses request bodies over a size limit with a 413 problem, before reading them.

Not FastAPI's own `max_body_size`: Starlette's limiter answers a too-large
Content-Length with a plain-text 413 of its own, whatever the error handlers say.
"""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.web.problem_details import problem


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"The request body exceeds {self.max_bytes} bytes"
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                response = problem(Request(scope), 413, detail=detail)
                await response(scope, receive, send)
                return

        received = 0

        async def counting_receive() -> Message:
            # Bodies without a Content-Length (chunked) are counted as they arrive.
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # An HTTPException, because FastAPI turns any other error raised while
                # it reads the body into a 400.
                raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)
