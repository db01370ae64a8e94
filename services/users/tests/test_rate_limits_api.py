"""Login and registration limits (users_service.login_limits), counted in the real Redis.

The suite runs with generous limits (testkit.local_stack); each test here puts strict ones
on the app and calls from an address of its own, so what other tests counted in Redis
cannot touch it.
"""

import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI

from devstack.gateway import Gateway
from devstack.ports import free_port
from servicekit.security.rate_limits import RateLimiter
from testkit.assertions import assert_problem
from testkit.transactions import Transaction
from users_service.login_limits import LoginLimits
from users_service.settings import UsersSettings

if TYPE_CHECKING:
    from .conftest import SpawnUsers

STRICT = {
    "login_attempts_per_address": "4/minute",
    "login_failures_per_account": "3/15 minutes",
    "registrations_per_address": "2/hour",
}


@pytest.fixture
def strict_limits(
    app: FastAPI, users_settings: Callable[..., UsersSettings], database_url: str, redis_url: str
) -> Iterator[None]:
    # By hand: monkeypatch's undo deletes what it set on a starlette State.
    settings = users_settings(database_url, redis_url, **STRICT)
    suite_limits = app.state.service.resources.login_limits
    app.state.service.resources.login_limits = LoginLimits(RateLimiter(settings), settings)
    yield
    app.state.service.resources.login_limits = suite_limits


@pytest.fixture
async def client_from(
    app: FastAPI, transaction: Transaction, strict_limits: None
) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    """`client_from()`: a client of its own address, in the test's transaction."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://service.test"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


def assert_limited(response: httpx.Response, window_seconds: int) -> None:
    body = assert_problem(response, 429)
    assert "try again later" in body["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= window_seconds


async def register(
    client: httpx.AsyncClient, api: str, email: str, password: str
) -> httpx.Response:
    return await client.post(
        f"{api}/users", json={"name": "Ann Lee", "email": email, "password": password}
    )


async def login(client: httpx.AsyncClient, api: str, email: str, password: str) -> httpx.Response:
    return await client.post(f"{api}/auth/token", data={"username": email, "password": password})


def unique_email() -> str:
    return f"limit-{uuid.uuid4().hex}@example.com"


async def test_login_attempts_per_address_are_limited_whatever_the_account(
    api: str, client_from: Callable[[], httpx.AsyncClient]
) -> None:
    guesser, bystander = client_from(), client_from()

    for _ in range(4):
        assert_problem(await login(guesser, api, unique_email(), "a guess 123"), 401)
    refused = await login(guesser, api, unique_email(), "a guess 123")

    assert_limited(refused, 60)
    # Another address is not affected.
    assert_problem(await login(bystander, api, unique_email(), "a guess 123"), 401)


async def test_failed_logins_lock_the_account_from_every_address(
    api: str, client_from: Callable[[], httpx.AsyncClient]
) -> None:
    owner = client_from()
    email, password = unique_email(), "the right one 1"
    assert (await register(owner, api, email, password)).status_code == 201

    for _ in range(3):
        assert_problem(await login(client_from(), api, email, "a wrong one 1"), 401)

    # Now even the right password, from the owner's own address, waits.
    assert_limited(await login(owner, api, email, password), 15 * 60)
    assert_limited(await login(client_from(), api, email.upper(), password), 15 * 60)


async def test_successful_logins_do_not_count_as_failures(
    api: str, client_from: Callable[[], httpx.AsyncClient]
) -> None:
    client = client_from()
    email, password = unique_email(), "the right one 1"
    assert (await register(client, api, email, password)).status_code == 201

    for _ in range(3):
        assert (await login(client_from(), api, email, password)).status_code == 200
    assert_problem(await login(client_from(), api, email, "a wrong one 1"), 401)


async def test_registrations_per_address_are_limited_and_the_refused_one_is_not_made(
    api: str, client_from: Callable[[], httpx.AsyncClient]
) -> None:
    client = client_from()
    for _ in range(2):
        assert (await register(client, api, unique_email(), "a password 1")).status_code == 201
    email = unique_email()

    assert_limited(await register(client, api, email, "a password 1"), 3600)

    assert (await register(client_from(), api, email, "a password 1")).status_code == 201


@pytest.fixture
def gateway_to_users(
    spawn_users: "SpawnUsers", fresh_database_url: str, tmp_path: Path
) -> Iterator[str]:
    """A real users process with a tight login limit behind the real gateway (nginx)."""
    users = spawn_users(fresh_database_url, LOGIN_ATTEMPTS_PER_ADDRESS="2/minute")
    upstreams = {"users": users.removeprefix("http://")}
    upstreams |= {name: f"127.0.0.1:{free_port()}" for name in ("items", "tasks")}
    with Gateway(tmp_path / "gateway", f"127.0.0.1:{free_port()}", upstreams) as gateway:
        yield gateway.url


async def test_through_the_gateway_each_client_address_has_its_own_budget(
    gateway_to_users: str,
) -> None:
    # Clients from addresses of their own (all of 127.0.0.0/8 is loopback), each new
    # to Redis; what a client writes in X-Forwarded-For changes nothing.
    def loopback_address() -> str:
        return f"127.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(250) + 2}"

    def client_at(address: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        return httpx.AsyncClient(base_url=gateway_to_users, transport=transport)

    async with client_at(loopback_address()) as guesser, client_at(loopback_address()) as other:

        async def attempt(
            client: httpx.AsyncClient, api: str, claimed: str | None = None
        ) -> httpx.Response:
            form = {"username": unique_email(), "password": "a guess 123"}
            headers = {"X-Forwarded-For": claimed} if claimed else {}
            return await client.post(f"{api}/auth/token", data=form, headers=headers)

        assert_problem(await attempt(guesser, "/api"), 401)
        assert_problem(await attempt(guesser, "/sync/api", claimed="203.0.113.1"), 401)
        assert_limited(await attempt(guesser, "/api", claimed="203.0.113.2"), 60)
        assert_limited(await attempt(guesser, "/sync/api"), 60)
        assert_problem(await attempt(other, "/sync/api"), 401)
