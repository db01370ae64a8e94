"""Fixtures of the tasks suites: the app on each backend, a task factory, and checks
shared by every module.

The plugin `testkit` provides `client`, `api`, `sql`, `mint_token`, `owner_factory` and
the databases. Test modules cannot import each other (`--import-mode=importlib`), so the
shared helpers are fixtures.
"""

import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from fastapi import FastAPI

from devstack.ports import free_port
from devstack.servers import RedisServer
from tasks_service.app import create_tasks_app
from tasks_service.settings import TasksSettings
from testkit.owners import Owner
from testkit.transactions import Sql

TASK_FIELDS = ["id", "title", "due_date", "done", "created_at", "updated_at", "done_at"]


@pytest.fixture(scope="session")
def alembic_ini() -> Path:
    return Path(__file__).parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def tasks_settings(jwt_public_key: str) -> Callable[..., TasksSettings]:
    def make(database_url: str, redis_url: str, **overrides: Any) -> TasksSettings:
        return TasksSettings(
            database_url=database_url,
            redis_url=redis_url,
            jwt_public_key=jwt_public_key,
            **overrides,
        )

    return make


@pytest.fixture(scope="session")
def broker() -> Iterator[RedisServer]:
    """A Redis of the suite's own for submitted jobs: tests count what was enqueued, stop
    it to see submissions fail, and no worker elsewhere on the machine takes their jobs."""
    root = Path(tempfile.mkdtemp(prefix="tasks-broker-"))
    try:
        with RedisServer(root / "redis", free_port()) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def app_factory(
    tasks_settings: Callable[..., TasksSettings], broker: RedisServer
) -> Callable[[str, str], FastAPI]:
    return lambda database_url, _redis_url: create_tasks_app(
        tasks_settings(database_url, broker.url)
    )


class TaskFactory(Protocol):
    def __call__(
        self, owner: Owner, title: str = ..., due_date: str | None = None, done: bool = False
    ) -> Awaitable[dict[str, Any]]: ...


@pytest.fixture
def task_factory(client: httpx.AsyncClient, api: str) -> TaskFactory:
    """`await task_factory(owner, title=..., due_date=..., done=...)`: a task made through
    the API of the current mode; returns its JSON."""

    async def create(
        owner: Owner,
        title: str = "Water the plants",
        due_date: str | None = None,
        done: bool = False,
    ) -> dict[str, Any]:
        body = {"title": title} | ({"due_date": due_date} if due_date else {})
        created = await client.post(f"{api}/tasks", json=body, headers=owner.headers)
        assert created.status_code == 201, created.text
        task: dict[str, Any] = created.json()
        if done:
            marked = await client.put(f"{api}/tasks/{task['id']}/done", headers=owner.headers)
            assert marked.status_code == 200, marked.text
            task = marked.json()
        return task

    return create


class Stored:
    """What the database holds, read through `sql` (inside the test's transaction)."""

    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def count(self) -> int:
        count: int = await self._sql("SELECT count(*) FROM tasks")
        return count

    async def fingerprint(self) -> tuple[object, ...]:
        """Changes with any insert, delete or update: every write moves updated_at."""
        return (
            await self.count(),
            await self._sql("SELECT max(id) FROM tasks"),
            await self._sql("SELECT max(updated_at) FROM tasks"),
            await self._sql("SELECT count(*) FROM tasks WHERE done"),
        )

    async def task(self, task_id: int) -> dict[str, object] | None:
        """One row as the driver returns it, or None."""
        # The id is an int the test got from the service: nothing to inject.
        where = f"FROM tasks WHERE id = {int(task_id)}"
        if not await self._sql(f"SELECT count(*) {where}"):
            return None
        columns = ["owner_id", *TASK_FIELDS[1:]]
        return {column: await self._sql(f"SELECT {column} {where}") for column in columns}


@pytest.fixture
def stored(sql: Sql) -> Stored:
    return Stored(sql)
