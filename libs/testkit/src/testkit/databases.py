"""A service's databases on both backends, migrated with its own alembic.ini."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from devstack import databases


def migrate(alembic_ini: Path, database_url: str, revision: str = "head") -> None:
    config = Config(str(alembic_ini))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


@pytest.fixture(scope="session", params=["postgres", "mysql"])
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _migrated_databases(server_urls: dict[str, str]) -> Iterator[dict]:
    """(alembic.ini, backend) -> URL: one database per service and backend per session.

    A registry rather than a session fixture per database: a session fixture of this
    plugin would be computed once for the first service's `alembic_ini` and then handed
    to every other service's tests as well.
    """
    created: dict[tuple[Path, str], tuple[str, str, str]] = {}
    yield created
    for server, name, _url in created.values():
        databases.drop_database(server, name)


@pytest.fixture
def database_url(
    database_backend: str,
    server_urls: dict[str, str],
    alembic_ini: Path,
    _migrated_databases: dict,
) -> str:
    """The session's database of this service on this backend, migrated to head."""
    key = (alembic_ini, database_backend)
    if key not in _migrated_databases:
        server = server_urls[database_backend]
        name = f"{alembic_ini.parent.name}_test_{os.getpid()}_{secrets.token_hex(3)}"
        databases.create_database(server, name)
        url = databases.with_database(server, name)
        _migrated_databases[key] = (server, name, url)
        migrate(alembic_ini, url)
    return _migrated_databases[key][2]


@pytest.fixture
def empty_database_url(
    database_backend: str, server_urls: dict[str, str], alembic_ini: Path
) -> Iterator[str]:
    """A database of one test's own that no migration has touched."""
    server = server_urls[database_backend]
    name = f"{alembic_ini.parent.name}_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    databases.create_database(server, name)
    try:
        yield databases.with_database(server, name)
    finally:
        databases.drop_database(server, name)


@pytest.fixture
def fresh_database_url(empty_database_url: str, alembic_ini: Path) -> str:
    """A migrated database of one test's own, for real processes that commit."""
    migrate(alembic_ini, empty_database_url)
    return empty_database_url
