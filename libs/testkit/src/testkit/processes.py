"""Real service processes: uvicorn on a free port, answering /healthz."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from subprocess import Popen
from typing import Protocol

import pytest

from devstack.health import wait_until_ok
from devstack.ports import free_port
from devstack.processes import spawn, terminate


class SpawnUvicorn(Protocol):
    """`spawn_uvicorn(app, **env)`: the base URL of a real process serving `app`."""

    def __call__(self, app: str, **env: str) -> str: ...


@pytest.fixture
def spawn_uvicorn(redis_url: str, jwt_public_key: str, tmp_path: Path) -> Iterator[SpawnUvicorn]:
    """`spawn_uvicorn("users_service.main:app", DATABASE_URL=...)`: a real service process,
    answering /healthz; returns its base URL. Stopped after the test."""
    processes: list[Popen[bytes]] = []

    def spawn_one(app: str, **env: str) -> str:
        port = free_port()
        environment = os.environ | {
            "REDIS_URL": redis_url,
            "JWT_PUBLIC_KEY": jwt_public_key,
            **env,
        }
        argv = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
        argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        process = spawn(argv, env=environment, log=tmp_path / f"{app.split('.')[0]}-{port}.log")
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        started = wait_until_ok(
            f"{base_url}/healthz", timeout=30, alive=lambda: process.poll() is None
        )
        assert started, f"{app} did not start; see {tmp_path}"
        return base_url

    yield spawn_one
    for process in processes:
        terminate(process)
