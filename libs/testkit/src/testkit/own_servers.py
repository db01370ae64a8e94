"""Servers of one test's own, beside the shared ones of `servers`."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.servers import RedisServer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own (`.url`): the revocations, limit counts, views and jobs
    a run makes stay in it, no worker elsewhere on the machine takes its jobs, and the
    test may stop it and start it again on the same port (`.stop()`, `.start()`)."""
    with RedisServer(tmp_path / "redis", free_port()) as server:
        yield server
