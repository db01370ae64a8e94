"""The hashing gate: a bounded number of Argon2 hashes at once, in both modes together,
a bounded wait for the rest, and other requests served while logins wait."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from servicekit.core.errors import ServiceUnavailable
from users_service.app import create_users_app
from users_service.hashing import HashingGate
from users_service.settings import UsersSettings


class Overlap:
    """Work that records how many of its calls ran at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, seconds: float) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(seconds)
        with self._lock:
            self.running -= 1
        return "hashed"


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_no_more_hashes_run_at_once_than_the_gate_allows(concurrency: int) -> None:
    gate, work = HashingGate(concurrency, wait_seconds=30, max_waiting_threads=6), Overlap()
    sync_callers = [
        asyncio.to_thread(gate.run_sync, work, 0.02) for _ in range(6)
    ]  # as `def` handlers call it
    async_callers = [gate.run(work, 0.02) for _ in range(6)]

    results = await asyncio.gather(*sync_callers, *async_callers)

    assert results == ["hashed"] * 12
    assert work.most == concurrency


async def test_no_more_def_handlers_wait_than_allowed() -> None:
    gate, release = HashingGate(1, wait_seconds=30, max_waiting_threads=2), threading.Event()
    holder = asyncio.create_task(asyncio.to_thread(gate.run_sync, release.wait))
    await asyncio.sleep(0.05)
    waiters = [asyncio.create_task(asyncio.to_thread(gate.run_sync, str, "x")) for _ in range(2)]
    await asyncio.sleep(0.1)
    try:
        with pytest.raises(ServiceUnavailable):
            gate.run_sync(str, "a third waiter")
    finally:
        release.set()
        await holder
    assert await asyncio.gather(*waiters) == ["x", "x"]


async def test_a_caller_that_waits_too_long_gets_a_503_to_retry() -> None:
    gate, release = HashingGate(1, wait_seconds=0.05, max_waiting_threads=6), threading.Event()
    holder = asyncio.create_task(asyncio.to_thread(gate.run_sync, release.wait))
    await asyncio.sleep(0.05)
    try:
        with pytest.raises(ServiceUnavailable) as sync_refusal:
            await asyncio.to_thread(gate.run_sync, str, "x")
        with pytest.raises(ServiceUnavailable) as async_refusal:
            await gate.run(str, "x")
    finally:
        release.set()
        await holder
    for refusal in (sync_refusal, async_refusal):
        assert refusal.value.status == 503
        assert refusal.value.headers["Retry-After"] == "1"
    assert await gate.run(str, "free again") == "free again"


@pytest.fixture
async def own_app_client(
    users_settings: Callable[..., UsersSettings], fresh_database_url: str, redis_url: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app on a database of the test's own: requests at once need their own
    connections, which the shared per-test transaction cannot give."""
    app = create_users_app(users_settings(fresh_database_url, redis_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as c:
            yield app, c


async def test_logins_waiting_for_a_hash_do_not_hold_up_other_requests(
    own_app_client: tuple[FastAPI, httpx.AsyncClient], api: str
) -> None:
    app, client = own_app_client
    form = {"username": "waiting@example.com", "password": "a password 1"}
    body = {"name": "Ann Lee", "email": form["username"], "password": form["password"]}
    user = (await client.post(f"{api}/users", json=body)).json()
    release = threading.Event()
    gate = HashingGate(1, wait_seconds=60, max_waiting_threads=5)
    app.state.service.resources.hashing = gate
    holder = asyncio.create_task(asyncio.to_thread(gate.run_sync, release.wait))
    try:
        # More logins than the pool has connections and the sync mode threads.
        logins = [
            asyncio.create_task(client.post(f"{api}/auth/token", data=form)) for _ in range(24)
        ]
        # Async logins all wait; of the sync ones five threads wait, the rest are refused.
        refused = 0 if api == "/api" else 19
        while sum(login.done() for login in logins) < refused:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        waiting = [login for login in logins if not login.done()]
        assert len(waiting) == 24 - refused

        profile = await client.get(f"{api}/users/{user['id']}")

        assert profile.status_code == 200, profile.text
        assert not any(login.done() for login in waiting)
    finally:
        release.set()
        await holder
    statuses = [login.status_code for login in await asyncio.gather(*logins)]
    assert sorted(statuses) == [200] * (24 - refused) + [503] * refused
