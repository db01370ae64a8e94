"""The account pool against a real users process whose login limit it runs into: a
refused login is retried later, and meanwhile a logged-in account is handed out."""

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest

from devstack.layout import repo_root
from loadtest.accounts import AccountPool
from testkit.processes import SpawnUvicorn

if TYPE_CHECKING:  # importing locust monkey-patches the process with gevent
    from locust.contrib.fasthttp import FastHttpSession


class LocustLikeClient:
    """The one call the pool makes of Locust's client, over httpx: importing locust here
    would monkey-patch this test process with gevent."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=base_url)

    def post(self, path: str, *, data: str, headers: dict[str, Any], name: str) -> httpx.Response:
        return self._http.post(path, content=data, headers=headers)


@pytest.fixture(scope="session")
def alembic_ini() -> Path:
    return repo_root() / "services" / "users" / "alembic.ini"


@pytest.fixture
def database_backend() -> str:
    return "postgres"  # what is under test is the client, not the database


@pytest.fixture
def users_with_a_tight_limit(
    fresh_database_url: str, spawn_uvicorn: SpawnUvicorn, jwt_private_key: str
) -> str:
    seed = [sys.executable, "-m", "users_service.seed", "--count", "6"]
    subprocess.run(seed, env={"DATABASE_URL": fresh_database_url}, check=True, timeout=120)
    return spawn_uvicorn(
        "users_service.main:app",
        DATABASE_URL=fresh_database_url,
        JWT_PRIVATE_KEY=jwt_private_key,
        LOGIN_ATTEMPTS_PER_ADDRESS="2/minute",
    )


def test_refused_logins_wait_and_their_users_share_a_logged_in_account(
    users_with_a_tight_limit: str,
) -> None:
    # The pool takes a Locust client; this one makes the same call over httpx.
    client = cast("FastHttpSession", LocustLikeClient(users_with_a_tight_limit))
    pool = AccountPool(4)

    taken = [pool.take(client, "/api", "[auth] login (async)") for _ in range(4)]

    assert all(account.token for account in taken)
    assert [account.user_id for account in taken] == [2, 3, 2, 2]
    refused = [account for account in pool._accounts if account.token is None]
    assert [account.user_id for account in refused] == [4, 5]
    assert all(account.retry_at > 0 for account in refused)
    # Before its Retry-After, a refused account is not tried again.
    assert pool.take(client, "/api", "[auth] login (async)").user_id == 2
