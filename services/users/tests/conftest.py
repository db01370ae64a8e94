"""Fixtures of the users suites: the app on each backend and a user factory.

The plugin `servicekit.testing` provides `client`, `api`, `sql` and the databases.
"""

import itertools
import os
import secrets
import sys
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

from devstack.databases import create_database, drop_database, with_database
from devstack.health import wait_until_ok
from devstack.ports import free_port
from devstack.processes import spawn, terminate
from servicekit.testing import migrate
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


@pytest.fixture
def fresh_database_url(database_backend: str, server_urls: dict[str, str], alembic_ini: Path):
    """A migrated database of this test's own, for real processes that commit."""
    server = server_urls[database_backend]
    name = f"users_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    create_database(server, name)
    try:
        url = with_database(server, name)
        migrate(alembic_ini, url)
        yield url
    finally:
        drop_database(server, name)


@pytest.fixture
def spawn_users(jwt_private_key: str, redis_url: str, tmp_path: Path):
    """`spawn_users(database_url, **env)`: a real uvicorn process; returns its base URL."""
    processes = []

    def spawn_one(database_url: str, **env: str) -> str:
        port = free_port()
        environment = os.environ | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "JWT_PRIVATE_KEY": jwt_private_key,
            **env,
        }
        argv = [sys.executable, "-m", "uvicorn", "users_service.main:app", "--port", str(port)]
        argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        process = spawn(argv, env=environment, log=tmp_path / f"users-{port}.log")
        processes.append(process)
        alive = lambda: process.poll() is None  # noqa: E731
        base_url = f"http://127.0.0.1:{port}"
        assert wait_until_ok(f"{base_url}/healthz", timeout=30, alive=alive), "users did not start"
        return base_url

    yield spawn_one
    for process in processes:
        terminate(process)
