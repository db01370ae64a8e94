"""`UsersClient` over `httpx.MockTransport`: what each answer of users, or its silence,
becomes. A profile, None for a 404, or the 503 of `DependencyUnavailable`; one retry of a
refused connection or a 502/503/504, never of anything else; one deadline per call, and in
sync mode one deadline for the whole series.

The end-to-end suite (`test_users_e2e.py`) runs the same client against a real users
process; here users is a function, so each failure can be had on demand."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import httpx
import pytest
from asgi_correlation_id.context import correlation_id

from items_service.clients import UsersClient
from items_service.schemas import Owner
from servicekit.clients.http import DependencyUnavailable, ServiceClient

MODES = ["async", "sync"]
BASE_URL = "http://users.test"


def profile(user_id: int) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": f"Owner {user_id}",
        "avatar": None,
        "created_at": "2026-01-02T03:04:05Z",
    }


def answer_profiles(request: httpx.Request) -> httpx.Response:
    """users as it should be: the profile of whichever id is asked for."""
    user_id = int(request.url.path.rsplit("/", 1)[1])
    return httpx.Response(200, json=profile(user_id))


# What httpx.MockTransport calls: a function of the request, or a coroutine function.
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Users:
    """A users service made of one handler; it keeps every request it got."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        self.requests.append(request)
        return self.handler(request)

    @property
    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]


@pytest.fixture
async def users_client() -> AsyncIterator[Callable[..., UsersClient]]:
    """`users_client(users, timeout=1.0)`: a `UsersClient` whose requests go to `users`."""
    made: list[UsersClient] = []

    def make(users: Users, timeout: float = 1.0) -> UsersClient:
        # `users` answers as its handler does, with a coroutine only for the async client's
        # requests (its transport awaits it); httpx types a handler as one kind or the other.
        transport = httpx.MockTransport(cast("Callable[[httpx.Request], httpx.Response]", users))
        service = ServiceClient(
            "users",
            BASE_URL,
            timeout=timeout,
            async_transport=transport,
            sync_transport=transport,
        )
        made.append(UsersClient(service))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def profiles(client: UsersClient, user_ids: list[int], mode: str) -> dict[int, Owner | None]:
    if mode == "async":
        return await client.profiles(user_ids)
    # As a `def` handler calls it: in a worker thread, never on the event loop.
    return await asyncio.to_thread(client.profiles_sync, user_ids)


async def unavailable(client: UsersClient, user_ids: list[int], mode: str) -> str:
    """The reason of the DependencyUnavailable the call raises (which it must)."""
    with pytest.raises(DependencyUnavailable) as raised:
        await profiles(client, user_ids, mode)
    error = raised.value
    assert error.status == 503
    assert error.dependency == "users"
    return str(error)


# --- answers -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_each_distinct_owner_is_asked_for_once(
    users_client: Callable[..., UsersClient], mode: str
) -> None:
    users = Users(answer_profiles)

    found = await profiles(users_client(users), [3, 1, 3, 2, 1], mode)

    assert sorted(users.paths) == ["/api/users/1", "/api/users/2", "/api/users/3"]
    assert all(request.method == "GET" for request in users.requests)
    assert found == {user_id: Owner(**profile(user_id)) for user_id in (1, 2, 3)}


@pytest.mark.parametrize("mode", MODES)
async def test_no_owners_ask_nothing(users_client: Callable[..., UsersClient], mode: str) -> None:
    users = Users(answer_profiles)

    assert await profiles(users_client(users), [], mode) == {}
    assert users.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_an_account_users_no_longer_knows_is_none(
    users_client: Callable[..., UsersClient], mode: str
) -> None:
    def gone_2(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/users/2":
            return httpx.Response(404, json={"status": 404, "title": "Not Found"})
        return answer_profiles(request)

    users = Users(gone_2)

    found = await profiles(users_client(users), [1, 2], mode)

    assert found == {1: Owner(**profile(1)), 2: None}
    assert sorted(users.paths) == ["/api/users/1", "/api/users/2"]  # a 404 is not retried


@pytest.mark.parametrize("mode", MODES)
async def test_the_request_id_goes_along(
    users_client: Callable[..., UsersClient], mode: str
) -> None:
    users = Users(answer_profiles)
    token = correlation_id.set("req-4711")
    try:
        await profiles(users_client(users), [1], mode)
    finally:
        correlation_id.reset(token)

    assert users.requests[0].headers["x-request-id"] == "req-4711"


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422, 429, 500, 501, 301, 302, 204])
@pytest.mark.parametrize("mode", MODES)
async def test_any_other_status_is_unavailable_and_not_retried(
    users_client: Callable[..., UsersClient], mode: str, status: int
) -> None:
    users = Users(lambda request: httpx.Response(status, headers={"location": "/elsewhere"}))

    reason = await unavailable(users_client(users), [1], mode)

    assert reason == f"users is unavailable: answered {status}"
    assert users.paths == ["/api/users/1"]


BAD_BODIES = {
    "not-json": b"<html>Bad Gateway</html>",
    "empty": b"",
    "json-list": b"[]",
    "json-null": b"null",
    "empty-object": b"{}",
    "no-name": json.dumps(profile(1) | {"name": None}).encode(),
    "id-not-a-number": json.dumps(profile(1) | {"id": "one"}).encode(),
    "created-at-not-a-time": json.dumps(profile(1) | {"created_at": "yesterday"}).encode(),
    "truncated": json.dumps(profile(1)).encode()[:-5],
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
@pytest.mark.parametrize("mode", MODES)
async def test_a_profile_items_cannot_read_is_unavailable(
    users_client: Callable[..., UsersClient], mode: str, body: bytes
) -> None:
    users = Users(lambda request: httpx.Response(200, content=body))

    reason = await unavailable(users_client(users), [1], mode)

    assert reason == "users is unavailable: answered a profile items cannot read"


# --- retries -------------------------------------------------------------------------


def failing_first(
    failure: Callable[[httpx.Request], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    """A handler that fails the first request with `failure`, then answers profiles."""
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return failure(request) if len(calls) == 1 else answer_profiles(request)

    return handle


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Connection refused", request=request)


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("mode", MODES)
async def test_a_502_503_or_504_is_retried_once(
    users_client: Callable[..., UsersClient], mode: str, status: int
) -> None:
    users = Users(failing_first(lambda request: httpx.Response(status)))

    found = await profiles(users_client(users), [1], mode)

    assert found == {1: Owner(**profile(1))}
    assert users.paths == ["/api/users/1", "/api/users/1"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_refused_connection_is_retried_once(
    users_client: Callable[..., UsersClient], mode: str
) -> None:
    users = Users(failing_first(refuse))

    found = await profiles(users_client(users), [1], mode)

    assert found == {1: Owner(**profile(1))}
    assert users.paths == ["/api/users/1", "/api/users/1"]


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("mode", MODES)
async def test_a_second_502_503_or_504_is_unavailable(
    users_client: Callable[..., UsersClient], mode: str, status: int
) -> None:
    users = Users(lambda request: httpx.Response(status))

    reason = await unavailable(users_client(users), [1], mode)

    assert reason == f"users is unavailable: answered {status}"
    assert users.paths == ["/api/users/1", "/api/users/1"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_connection_refused_twice_is_unavailable(
    users_client: Callable[..., UsersClient], mode: str
) -> None:
    users = Users(refuse)

    reason = await unavailable(users_client(users), [1], mode)

    assert reason == "users is unavailable: connection refused"
    assert users.paths == ["/api/users/1", "/api/users/1"]


@pytest.mark.parametrize("mode", MODES)
async def test_other_transport_errors_are_unavailable(
    users_client: Callable[..., UsersClient], mode: str
) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    reason = await unavailable(users_client(Users(drop)), [1], mode)

    assert reason == "users is unavailable: Server disconnected"


# --- deadlines -----------------------------------------------------------------------


async def test_users_that_never_answers_is_unavailable_at_the_deadline(
    users_client: Callable[..., UsersClient],
) -> None:
    async def never_answer(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    users = Users(never_answer)

    # The bound only keeps a broken deadline from hanging the suite.
    async with asyncio.timeout(10):
        reason = await unavailable(users_client(users, timeout=0.2), [1], "async")

    assert reason == "users is unavailable: no answer within 0.2 s"
    # The deadline covers the retry too: the first attempt used it all up.
    assert users.paths == ["/api/users/1"]


async def test_a_timeout_in_sync_mode_is_unavailable(
    users_client: Callable[..., UsersClient],
) -> None:
    # httpx enforces the sync timeouts in its network transport; a mock raises what it would.
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    users = Users(time_out)

    reason = await unavailable(users_client(users, timeout=0.2), [1], "sync")

    assert reason == "users is unavailable: no answer within 0.2 s"
    assert users.paths == ["/api/users/1", "/api/users/1"]


async def test_slow_answers_in_sync_mode_cost_one_deadline_not_one_per_owner(
    users_client: Callable[..., UsersClient],
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)
        return answer_profiles(request)

    users = Users(slow)

    reason = await unavailable(users_client(users, timeout=0.5), [1, 2, 3, 4, 5], "sync")

    assert reason == "users is unavailable: no answer within 0.5 s"
    # Each call alone is within its deadline; the series gave up before the fifth owner.
    assert len(users.requests) < 5


async def test_async_mode_asks_for_every_owner_at_once(
    users_client: Callable[..., UsersClient],
) -> None:
    in_flight = []
    all_asked = asyncio.Event()

    async def answer_when_all_asked(request: httpx.Request) -> httpx.Response:
        in_flight.append(request)
        if len(in_flight) == 3:
            all_asked.set()
        # One after the other, the first call would wait here until its deadline.
        await all_asked.wait()
        return answer_profiles(request)

    users = Users(answer_when_all_asked)

    found = await profiles(users_client(users, timeout=5), [1, 2, 3], "async")

    assert set(found) == {1, 2, 3}


FIRST_FAILURES = {
    "status-500": lambda request: httpx.Response(500),
    "unreadable-profile": lambda request: httpx.Response(200, content=b"[]"),
    "connection-refused": refuse,
}
FIRST_FAILURE_REASONS = {
    "status-500": "answered 500",
    "unreadable-profile": "answered a profile items cannot read",
    "connection-refused": "connection refused",
}


@pytest.mark.parametrize("failure", FIRST_FAILURES)
async def test_the_first_failure_cancels_the_calls_still_waiting(
    users_client: Callable[..., UsersClient], failure: str
) -> None:
    cancelled = asyncio.Event()

    async def fail_1_hold_2(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/users/1":
            return FIRST_FAILURES[failure](request)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    client = users_client(Users(fail_1_hold_2), timeout=5)

    reason = await unavailable(client, [1, 2], "async")

    # Owner 2 never answers: had the call waited for it, the reason would be its deadline.
    assert reason == f"users is unavailable: {FIRST_FAILURE_REASONS[failure]}"
    # Not left to run on until its own deadline, holding a connection of the pool.
    async with asyncio.timeout(1):
        await cancelled.wait()
