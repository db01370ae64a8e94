"""Fixtures of the users suites: the app on each backend and a user factory.

The plugin `servicekit.testing` provides `client`, `api`, `sql` and the databases.
"""

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from users_service.app import create_users_app
from users_service.settings import UsersSettings


@pytest.fixture(scope="session")
def alembic_ini() -> Path:
    return Path(__file__).parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def jwt_private_key() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@pytest.fixture(scope="session")
def users_settings(jwt_private_key: str):
    def make(database_url: str, redis_url: str, **overrides) -> UsersSettings:
        return UsersSettings(
            database_url=database_url,
            redis_url=redis_url,
            jwt_private_key=jwt_private_key,
            **overrides,
        )

    return make


@pytest.fixture(scope="session")
def app_factory(users_settings):
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


_serial = itertools.count(1)


@pytest.fixture
def user_factory(client: httpx.AsyncClient, api: str):
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
        user = created.json()
        return CreatedUser(
            user["id"], user["name"], user["email"], password, login.json()["access_token"]
        )

    return create


@pytest.fixture
def mint_token(jwt_private_key: str):
    """Signs tokens the way users does, or with another key or algorithm, for bad-token tests."""

    def mint(
        sub: str,
        *,
        expires_in: int = 300,
        private_key: str | None = None,
        algorithm: str = "EdDSA",
        claims: dict | None = None,
    ) -> str:
        now = int(time.time())
        payload = {
            "sub": sub,
            "iss": "users",
            "aud": "services",
            "iat": now,
            "exp": now + expires_in,
        }
        payload.update(claims or {})
        return jwt.encode(payload, private_key or jwt_private_key, algorithm=algorithm)

    return mint
