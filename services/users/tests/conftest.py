"""Fixtures of the users suites: the app on each backend and a user factory.

The plugin `testkit` provides `client`, `api`, `sql` and the databases.
"""

import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from testkit.processes import SpawnUvicorn
from users_service.app import create_users_app
from users_service.settings import UsersSettings


@pytest.fixture(scope="session")
def alembic_ini() -> Path:
    return Path(__file__).parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def users_settings(jwt_private_key: str) -> Callable[..., UsersSettings]:
    def make(database_url: str, redis_url: str, **overrides: Any) -> UsersSettings:
        return UsersSettings(
            database_url=database_url,
            redis_url=redis_url,
            jwt_private_key=SecretStr(jwt_private_key),
            **overrides,
        )

    return make


@pytest.fixture(scope="session")
def app_factory(users_settings: Callable[..., UsersSettings]) -> Callable[[str, str], FastAPI]:
    return lambda database_url, redis_url: create_users_app(users_settings(database_url, redis_url))


@dataclass
class CreatedUser:
    id: int
    name: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class UserFactory(Protocol):
    def __call__(
        self,
        name: str = ...,
        email: str | None = None,
        password: str = ...,
        avatar: str | None = None,
    ) -> Awaitable[CreatedUser]: ...


_serial = itertools.count(1)


@pytest.fixture
def user_factory(client: httpx.AsyncClient, api: str) -> UserFactory:
    """`await user_factory(name=...)`: a registered, logged-in user of the current mode."""

    async def create(
        name: str = "Ann Lee",
        email: str | None = None,
        password: str = "correct horse 1",  # noqa: S107
        avatar: str | None = None,
    ) -> CreatedUser:
        email = email or f"user{next(_serial)}-{time.monotonic_ns()}@example.com"
        body = {"name": name, "email": email, "password": password}
        if avatar is not None:
            body["avatar"] = avatar
        created = await client.post(f"{api}/users", json=body)
        assert created.status_code == 201, created.text
        login = await client.post(
            f"{api}/auth/token", data={"username": email, "password": password}
        )
        assert login.status_code == 200, login.text
        user: dict[str, Any] = created.json()
        return CreatedUser(
            user["id"], user["name"], user["email"], password, login.json()["access_token"]
        )

    return create


class SpawnUsers(Protocol):
    def __call__(self, database_url: str, /, **env: str) -> str: ...


@pytest.fixture
def spawn_users(spawn_uvicorn: SpawnUvicorn, jwt_private_key: str) -> SpawnUsers:
    """`spawn_users(database_url, **env)`: a real users process; returns its base URL."""

    def spawn_one(database_url: str, /, **env: str) -> str:
        return spawn_uvicorn(
            "users_service.main:app",
            DATABASE_URL=database_url,
            JWT_PRIVATE_KEY=jwt_private_key,
            **env,
        )

    return spawn_one
