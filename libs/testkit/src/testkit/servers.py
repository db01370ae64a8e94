"""Real Postgres, MariaDB/MySQL and Redis servers: configured, or started for the run."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.probes import ensure_reachable
from devstack.servers import MariaDBServer, PostgresServer, RedisServer

DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql://root@127.0.0.1:3306/",
    "redis": "redis://127.0.0.1:6379/0",
}
THROWAWAY_SERVERS = {"postgres": PostgresServer, "mysql": MariaDBServer, "redis": RedisServer}


def configured_url(kind: str) -> str:
    return os.environ.get(f"TEST_{kind.upper()}_URL", DEFAULT_URLS[kind])


@pytest.fixture(scope="session")
def server_urls() -> Iterator[dict[str, str]]:
    """URLs of a Postgres, a MariaDB/MySQL and a Redis that answer, started if need be."""
    urls = {kind: configured_url(kind) for kind in DEFAULT_URLS}
    missing = [kind for kind, url in urls.items() if not ensure_reachable(url)]
    if not missing:
        yield urls
        return
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="testkit-")))
        root.chmod(0o755)  # Postgres runs as its own user and must reach its data dir
        for kind in missing:
            server = THROWAWAY_SERVERS[kind](root / kind, free_port())
            urls[kind] = stack.enter_context(server).url
        yield urls


@pytest.fixture(scope="session")
def redis_url(server_urls: dict[str, str]) -> str:
    return server_urls["redis"]
