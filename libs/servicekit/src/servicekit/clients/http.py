"""Calls to other services, in both modes.

One `ServiceClient` per dependency holds a pooled `httpx.AsyncClient` and `httpx.Client`
with the same rules: one total deadline per call (default 2 s, retries included), one
retry of an idempotent GET when the connection fails or the dependency answers 502/503/
504, the request id forwarded in `X-Request-ID`, and a 503 problem naming the dependency
when it is down or slow: a call fails fast, it never hangs.

The async client sends through aiohttp's connection pool (httpx-aiohttp's transport).
httpcore's pool walks every connection, and every queued request, on each request it
adds or releases: with 64 clients of items' `expand=owner` (five owners each, 100 ms
late) the items process spent a core on that walk and served 86 requests/s, a third of
them 503s at the 2 s deadline, against sync's 180 (`make bench --upstream-latency`). On
aiohttp's pool the same calls take a fifth of the CPU and meet the latency.
"""

import asyncio
import logging
import time
from collections.abc import Mapping

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from servicekit.core.errors import ServiceUnavailable
from servicekit.observability.request_id import REQUEST_ID_HEADER, current_request_id
from servicekit.observability.tracing import trace_calls

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({502, 503, 504})
# Below uvicorn's 5 s keep-alive, so a pooled connection is never reused just as the
# other side closes it.
_KEEPALIVE_EXPIRY_SECONDS = 4.0


class DependencyUnavailable(ServiceUnavailable):
    title = "Dependency unavailable"
    type = "urn:problem-type:dependency-unavailable"

    def __init__(self, dependency: str, reason: str):
        super().__init__(f"{dependency} is unavailable: {reason}")
        self.dependency = dependency


class ServiceClient:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 2.0,
        max_connections: int = 100,
        retries: int = 1,
        async_transport: httpx.AsyncBaseTransport | None = None,
        sync_transport: httpx.BaseTransport | None = None,
    ):
        """The transports replace the network, for unit tests (`httpx.MockTransport`
        serves both modes); the deadline and retry rules stay this class's own."""
        self.name = name
        self.timeout = timeout
        self.retries = retries
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=_KEEPALIVE_EXPIRY_SECONDS,
        )
        self._async = httpx.AsyncClient(
            base_url=base_url,
            limits=limits,
            timeout=timeout,
            transport=async_transport or AiohttpTransport(limits=limits),
        )
        if async_transport is None:
            trace_calls(self._async)
        self._sync = httpx.Client(
            base_url=base_url, limits=limits, timeout=timeout, transport=sync_transport
        )

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            remaining = self._remaining(deadline)
            try:
                # The client's timeout bounds each phase; this bounds the whole call.
                async with asyncio.timeout(remaining):
                    response = await self._async.get(
                        path, params=params, headers=_headers(headers), timeout=remaining
                    )
                if response.status_code not in _RETRYABLE_STATUS:
                    return response
                reason = f"answered {response.status_code}"
            except (httpx.TransportError, TimeoutError) as error:
                reason = _describe(error, self.timeout)
            attempt += 1
            self._retry_or_raise(reason, attempt, deadline)

    def get_sync(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            remaining = self._remaining(deadline)
            try:
                response = self._sync.get(
                    path, params=params, headers=_headers(headers), timeout=remaining
                )
                if response.status_code not in _RETRYABLE_STATUS:
                    return response
                reason = f"answered {response.status_code}"
            except httpx.TransportError as error:
                reason = _describe(error, self.timeout)
            attempt += 1
            self._retry_or_raise(reason, attempt, deadline)

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DependencyUnavailable(self.name, f"no answer within {self.timeout:g} s")
        return remaining

    def _retry_or_raise(self, reason: str, attempts: int, deadline: float) -> None:
        if attempts > self.retries or deadline - time.monotonic() <= 0:
            logger.warning("%s unavailable: %s", self.name, reason)
            raise DependencyUnavailable(self.name, reason)
        logger.info("retrying %s after: %s", self.name, reason)

    async def aclose(self) -> None:
        await self._async.aclose()
        self._sync.close()


def _headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    request_id = current_request_id()
    return {**(extra or {}), **({REQUEST_ID_HEADER: request_id} if request_id else {})}


def _describe(error: Exception, timeout: float) -> str:
    # Before the timeouts: the aiohttp transport raises a refused connection as
    # httpx's ConnectTimeout, with aiohttp's error as its cause.
    if isinstance(error, httpx.ConnectError) or isinstance(
        error.__cause__, aiohttp.ClientConnectorError
    ):
        return "connection refused"
    if isinstance(error, httpx.TimeoutException | TimeoutError):
        return f"no answer within {timeout:g} s"
    return str(error) or error.__class__.__name__
