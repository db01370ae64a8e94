"""`run_in_greenlet`: sync code that awaits, run from a task, as under SQLAlchemy's
greenlet_spawn, on greenlets kept for the next call."""

import asyncio
import contextvars

import pytest
from greenlet import getcurrent
from sqlalchemy.util import await_

from servicekit.queries import greenlets
from servicekit.queries.greenlets import run_in_greenlet

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def add_later(a: int, b: int) -> int:
    await_(asyncio.sleep(0))
    return await_(asyncio.sleep(0.01, result=a)) + b


async def test_a_call_awaits_from_its_task_and_returns_its_value() -> None:
    assert await run_in_greenlet(add_later, 2, b=3) == 5


async def test_an_error_of_the_call_or_of_what_it_awaits_reaches_the_caller() -> None:
    def fails() -> None:
        raise LookupError("in the call")

    async def refuses() -> None:
        raise KeyError("awaited")

    def awaits_a_failure() -> None:
        await_(refuses())

    with pytest.raises(LookupError, match="in the call"):
        await run_in_greenlet(fails)
    with pytest.raises(KeyError, match="awaited"):
        await run_in_greenlet(awaits_a_failure)


async def test_one_call_after_another_reuses_the_greenlet() -> None:
    def which() -> int:
        await_(asyncio.sleep(0))
        return id(getcurrent())

    assert await run_in_greenlet(which) == await run_in_greenlet(which)


async def test_concurrent_calls_each_have_a_greenlet_and_their_own_results() -> None:
    def slow_identity(value: int) -> tuple[int, int]:
        await_(asyncio.sleep(0.02 * (3 - value)))
        return value, id(getcurrent())

    results = await asyncio.gather(*(run_in_greenlet(slow_identity, n) for n in range(3)))
    assert [value for value, _ in results] == [0, 1, 2]
    assert len({greenlet for _, greenlet in results}) == 3


async def test_a_cancelled_task_cancels_the_call_which_can_clean_up() -> None:
    cleaned = []

    def waits() -> None:
        try:
            await_(asyncio.sleep(10))
        finally:
            cleaned.append(True)

    task = asyncio.create_task(run_in_greenlet(waits))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == [True]
    # The greenlet is back and serves the next call.
    assert await run_in_greenlet(add_later, 1, 1) == 2


async def test_the_call_shares_the_tasks_context_variables() -> None:
    def swap() -> str:
        seen = request_id.get()
        request_id.set("set in the call")
        return seen

    request_id.set("set in the task")
    assert await run_in_greenlet(swap) == "set in the task"
    assert request_id.get() == "set in the call"


async def test_idle_greenlets_are_kept_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(greenlets, "MAX_IDLE", 2)
    greenlets._idle.bridges.clear()
    await asyncio.gather(*(run_in_greenlet(add_later, n, 0) for n in range(5)))
    assert len(greenlets._idle.bridges) == 2
