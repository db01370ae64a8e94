"""With Redis away, what needs it answers a fast 503 and changes nothing: a password
change, an account deletion and logout-all (their revocations could not be written),
logins and registrations (their limits could not be counted). Reading profiles and
using tokens go on."""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
import redis
import redis.asyncio
from fastapi import FastAPI

from devstack.ports import free_port
from servicekit.security.rate_limits import RateLimiter
from servicekit.web.state import state_of
from testkit.assertions import assert_problem
from testkit.transactions import Sql
from users_service.login_limits import LoginLimits
from users_service.settings import UsersSettings

if TYPE_CHECKING:
    from .conftest import UserFactory


@pytest.fixture
def take_redis_away(
    app: FastAPI, users_settings: Callable[..., UsersSettings], database_url: str
) -> Iterator[Callable[[], None]]:
    """`take_redis_away()`: from then on the app's Redis clients and limits point at a
    port nobody listens on; restored after the test."""
    state = state_of(app)
    kept = state.redis, state.sync_redis, state.resources.login_limits

    def take_away() -> None:
        nowhere = f"redis://127.0.0.1:{free_port()}/0"
        settings = users_settings(database_url, nowhere, redis_timeout=0.5)
        state.redis = redis.asyncio.Redis.from_url(nowhere, socket_connect_timeout=0.5)
        state.sync_redis = redis.Redis.from_url(nowhere, socket_connect_timeout=0.5)
        state.resources.login_limits = LoginLimits(RateLimiter(settings), settings)

    yield take_away
    state.redis, state.sync_redis, state.resources.login_limits = kept


async def test_password_change_is_refused_and_nothing_changes(
    client: httpx.AsyncClient,
    api: str,
    user_factory: "UserFactory",
    take_redis_away: Callable[[], None],
    sql: Sql,
) -> None:
    user = await user_factory()
    take_redis_away()
    stored = f"SELECT password_hash FROM users WHERE id = {user.id}"  # noqa: S608
    before = await sql(stored)

    response = await client.patch(
        f"{api}/users/{user.id}", json={"password": "a new secret 2"}, headers=user.headers
    )

    assert_problem(response, 503)
    assert await sql(stored) == before
    assert (await client.get(f"{api}/users/me", headers=user.headers)).status_code == 200


async def test_deletion_is_refused_and_the_account_stays(
    client: httpx.AsyncClient,
    api: str,
    user_factory: "UserFactory",
    take_redis_away: Callable[[], None],
    sql: Sql,
) -> None:
    user = await user_factory()
    take_redis_away()

    response = await client.delete(f"{api}/users/{user.id}", headers=user.headers)

    assert_problem(response, 503)
    assert await sql(f"SELECT count(*) FROM users WHERE id = {user.id}") == 1  # noqa: S608


async def test_logout_all_is_refused(
    client: httpx.AsyncClient,
    api: str,
    user_factory: "UserFactory",
    take_redis_away: Callable[[], None],
) -> None:
    user = await user_factory()
    take_redis_away()

    assert_problem(await client.post(f"{api}/auth/logout-all", headers=user.headers), 503)


async def test_login_and_registration_are_refused_and_make_nothing(
    client: httpx.AsyncClient,
    api: str,
    user_factory: "UserFactory",
    take_redis_away: Callable[[], None],
    sql: Sql,
) -> None:
    user = await user_factory()
    take_redis_away()
    form = {"username": user.email, "password": user.password}

    assert_problem(await client.post(f"{api}/auth/token", data=form), 503)
    body = {"name": "Ann Lee", "email": "not-made@example.com", "password": "a password 1"}
    assert_problem(await client.post(f"{api}/users", json=body), 503)
    assert await sql("SELECT count(*) FROM users WHERE email = 'not-made@example.com'") == 0
    # What needs no Redis goes on.
    assert (await client.get(f"{api}/users/{user.id}")).status_code == 200
