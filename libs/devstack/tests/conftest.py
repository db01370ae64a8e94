"""Real servers for the devstack tests: the configured ones, else throwaway ones."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.probes import ensure_reachable
from devstack.servers import LocalServer, MariaDBServer, PostgresServer, RedisServer


def _reachable_folder() -> Path:
    # pytest's tmp_path sits in a 0700 folder that the postgres user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="devstack-test-"))
    folder.chmod(0o755)
    return folder


@pytest.fixture
def server_root() -> Iterator[Path]:
    folder = _reachable_folder()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _configured_or_throwaway(
    variable: str, default: str, server_class: type[LocalServer]
) -> Iterator[str]:
    url = os.environ.get(variable, default)
    if ensure_reachable(url):
        yield url
        return
    folder = _reachable_folder()
    try:
        with server_class(folder / "data", free_port()) as server:
            yield server.url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    yield from _configured_or_throwaway(
        "POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres", PostgresServer
    )


@pytest.fixture(scope="session")
def mysql_server_url() -> Iterator[str]:
    yield from _configured_or_throwaway("MYSQL_URL", "mysql://root@127.0.0.1:3306/", MariaDBServer)


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    yield from _configured_or_throwaway("REDIS_URL", "redis://127.0.0.1:6379/0", RedisServer)
