"""A service's databases on both backends, migrated with its own alembic.ini."""

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from devstack import databases
from testkit.backends import BACKENDS


def migrate(alembic_ini: Path, database_url: str, revision: str = "head") -> None:
    config = Config(str(alembic_ini))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


@contextlib.contextmanager
def throwaway_database(server: str, prefix: str, alembic_ini: Path | None = None) -> Iterator[str]:
    """The URL of a new database on `server`, named after `prefix` and unique to this
    run, migrated to head with `alembic_ini` if one is given; dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    databases.create_database(server, name)
    try:
        url = databases.with_database(server, name)
        if alembic_ini is not None:
            migrate(alembic_ini, url)
        yield url
    finally:
        databases.drop_database(server, name)


@pytest.fixture(scope="session", params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param  # one of BACKENDS
    return backend


@pytest.fixture(scope="session")
def _migrated_databases() -> Iterator[tuple[contextlib.ExitStack, dict[tuple[Path, str], str]]]:
    """(alembic.ini, backend) -> URL: one database per service and backend per session.

    A registry rather than a session fixture per database: a session fixture of this
    plugin would be computed once for the first service's `alembic_ini` and then handed
    to every other service's tests as well.
    """
    with contextlib.ExitStack() as stack:
        yield stack, {}


@pytest.fixture
def database_url(
    database_backend: str,
    server_urls: dict[str, str],
    alembic_ini: Path,
    _migrated_databases: tuple[contextlib.ExitStack, dict[tuple[Path, str], str]],
) -> str:
    """The session's database of this service on this backend, migrated to head."""
    stack, urls = _migrated_databases
    key = (alembic_ini, database_backend)
    if key not in urls:
        server, prefix = server_urls[database_backend], f"{alembic_ini.parent.name}_test"
        urls[key] = stack.enter_context(throwaway_database(server, prefix, alembic_ini))
    return urls[key]


@pytest.fixture
def empty_database_url(
    database_backend: str, server_urls: dict[str, str], alembic_ini: Path
) -> Iterator[str]:
    """A database of one test's own that no migration has touched."""
    server, prefix = server_urls[database_backend], f"{alembic_ini.parent.name}_e2e"
    with throwaway_database(server, prefix) as url:
        yield url


@pytest.fixture
def fresh_database_url(empty_database_url: str, alembic_ini: Path) -> str:
    """A migrated database of one test's own, for real processes that commit."""
    migrate(alembic_ini, empty_database_url)
    return empty_database_url
