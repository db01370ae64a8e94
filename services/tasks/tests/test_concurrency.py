"""Concurrent writes to one task leave it in one consistent state, in both modes.

These tests need concurrent transactions on a database of their own: the rolled-back
transaction of the other suites is a single connection, which would serialize them.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from devstack.servers import RedisServer
from servicekit.db.engines import sync_url
from tasks_service.app import create_tasks_app
from tasks_service.jobs.service import MAX_UNFINISHED_JOBS
from tasks_service.settings import TasksSettings
from testkit.apps import MODES
from testkit.keys import MintToken
from testkit.owners import Owner

WRITERS = 20


@dataclass
class Live:
    client: httpx.AsyncClient
    database_url: str

    def scalar(self, statement: str) -> object:
        engine = create_engine(sync_url(self.database_url))
        try:
            with engine.connect() as connection:
                return connection.execute(text(statement)).scalar()
        finally:
            engine.dispose()

    def execute(self, statement: str) -> None:
        engine = create_engine(sync_url(self.database_url))
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


@pytest.fixture
async def live(
    tasks_settings: Callable[..., TasksSettings],
    fresh_database_url: str,
    broker: RedisServer,
    mint_token: MintToken,
) -> AsyncIterator[Live]:
    """The app on a database of this test's own, committing for real, with a connection
    ready for every writer: opening connections one by one (slower than a whole request
    on MariaDB) would otherwise line the writers up instead of racing them."""
    # Jobs go to the suite's own Redis, where no worker takes them.
    settings = tasks_settings(fresh_database_url, broker.url, db_pool_size=WRITERS)
    app = create_tasks_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            headers = {"Authorization": f"Bearer {mint_token('1')}"}
            warm_up = [
                client.get(f"{api}/tasks", headers=headers)
                for api in MODES.values()
                for _ in range(WRITERS)
            ]
            assert {response.status_code for response in await asyncio.gather(*warm_up)} == {200}
            yield Live(client, fresh_database_url)


async def new_task(live: Live, api: str, owner: Owner) -> dict[str, Any]:
    response = await live.client.post(
        f"{api}/tasks", json={"title": "Contended"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_concurrent_marks_done_write_once(
    live: Live, api: str, owner_factory: Callable[[], Owner]
) -> None:
    me = owner_factory()
    task = await new_task(live, api, me)
    url = f"{api}/tasks/{task['id']}/done"

    responses = await asyncio.gather(
        *(live.client.put(url, headers=me.headers) for _ in range(WRITERS))
    )

    assert [response.status_code for response in responses] == [200] * WRITERS
    # One PUT set done_at; every other one found the task done and left it alone.
    assert len({response.text for response in responses}) == 1
    final = (await live.client.get(f"{api}/tasks/{task['id']}", headers=me.headers)).json()
    assert final == responses[0].json()
    assert final["done"] is True


async def test_concurrent_marks_undone_leave_it_open(
    live: Live, api: str, owner_factory: Callable[[], Owner]
) -> None:
    me = owner_factory()
    task = await new_task(live, api, me)
    url = f"{api}/tasks/{task['id']}/done"
    assert (await live.client.put(url, headers=me.headers)).status_code == 200

    responses = await asyncio.gather(
        *(live.client.delete(url, headers=me.headers) for _ in range(WRITERS))
    )

    assert [response.status_code for response in responses] == [200] * WRITERS
    assert len({response.text for response in responses}) == 1
    assert responses[0].json()["done"] is False


async def test_concurrent_done_and_undone_end_consistent(
    live: Live, api: str, owner_factory: Callable[[], Owner]
) -> None:
    me = owner_factory()
    task = await new_task(live, api, me)
    url = f"{api}/tasks/{task['id']}/done"

    responses = await asyncio.gather(
        *(
            live.client.request("PUT" if n % 2 else "DELETE", url, headers=me.headers)
            for n in range(WRITERS)
        )
    )

    assert [response.status_code for response in responses] == [200] * WRITERS
    for response in responses:
        answer = response.json()
        assert (answer["done_at"] is not None) == answer["done"]
    final = (await live.client.get(f"{api}/tasks/{task['id']}", headers=me.headers)).json()
    assert (final["done_at"] is not None) == final["done"]
    task_id = int(task["id"])
    inconsistent = f"""SELECT count(*) FROM tasks
        WHERE id = {task_id} AND (done AND done_at IS NULL OR NOT done AND done_at IS NOT NULL)"""  # noqa: S608
    assert await asyncio.to_thread(live.scalar, inconsistent) == 0
    assert await asyncio.to_thread(live.scalar, "SELECT count(*) FROM tasks") == 1


async def test_concurrent_patches_and_deletes_leave_no_half_written_task(
    live: Live, api: str, owner_factory: Callable[[], Owner]
) -> None:
    me, other = owner_factory(), owner_factory()
    tasks = [await new_task(live, api, me) for _ in range(4)]
    foreign = await new_task(live, api, other)

    requests = []
    for n in range(WRITERS):
        task = tasks[n % len(tasks)]
        url = f"{api}/tasks/{task['id']}"
        if n % 5 == 4:
            requests.append(live.client.delete(url, headers=me.headers))
        else:
            body = {"title": f"Title {n}", "due_date": f"2027-01-{n + 1:02d}"}
            requests.append(live.client.patch(url, json=body, headers=me.headers))
        requests.append(live.client.put(f"{api}/tasks/{foreign['id']}/done", headers=me.headers))

    responses = await asyncio.gather(*requests)

    assert {response.status_code for response in responses} <= {200, 204, 404}
    for response in responses:
        if response.status_code == 200:
            answer = response.json()
            # Title and due date travel together: one UPDATE wrote both.
            n = int(answer["title"].removeprefix("Title "))
            assert answer["due_date"] == f"2027-01-{n + 1:02d}"
    untouched = await live.client.get(f"{api}/tasks/{foreign['id']}", headers=other.headers)
    assert untouched.json() == foreign


async def test_parallel_submissions_of_one_user_stop_at_the_quota(
    live: Live, api: str, owner_factory: Callable[[], Owner]
) -> None:
    me = owner_factory()
    digest = {"kind": "compute.digest", "params": {"data": "x", "rounds": 1}}

    def submit() -> Awaitable[httpx.Response]:
        return live.client.post(f"{api}/jobs", json=digest, headers=me.headers)

    extra = 10
    responses = await asyncio.gather(*(submit() for _ in range(MAX_UNFINISHED_JOBS + extra)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [202] * MAX_UNFINISHED_JOBS + [429] * extra
    jobs = f"SELECT count(*) FROM jobs WHERE owner_id = {me.id}"  # noqa: S608
    assert live.scalar(jobs) == MAX_UNFINISHED_JOBS
    # Ended jobs count no more.
    live.execute(f"UPDATE jobs SET status = 'succeeded' WHERE owner_id = {me.id}")  # noqa: S608
    assert (await submit()).status_code == 202
