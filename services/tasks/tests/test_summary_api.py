"""The caller's task counts, which the report job reads."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import TaskFactory


async def test_summary_counts_the_callers_open_and_done_tasks(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me, other = owner_factory(), owner_factory()
    assert (await client.get(f"{api}/tasks/summary", headers=me.headers)).json() == {
        "open": 0,
        "done": 0,
    }
    tasks = [await task_factory(me) for _ in range(3)]
    await task_factory(other)
    done = await client.put(f"{api}/tasks/{tasks[0]['id']}/done", headers=me.headers)
    assert done.status_code == 200
    summary = await client.get(f"{api}/tasks/summary", headers=me.headers)
    assert summary.json() == {"open": 2, "done": 1}


async def test_summary_needs_a_token(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    assert_problem(await client.get(f"{api}/tasks/summary"), 401)
