"""Submitted jobs in real worker processes: outcomes in their records, failures told
shortly, a crash after the result is stored, and records that arrive late or never."""

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from celery import Celery

from servicecontracts.job_messages import JobMessage
from servicekit.clients.jobs import send_job
from testkit.keys import MintToken
from testkit.processes import SpawnUvicorn
from worker_service.job_runner import MISSING_RETRIES, MISSING_RETRY_SECONDS

if TYPE_CHECKING:
    from .conftest import Events, JobTable, Worker


def test_a_job_ends_with_its_result(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
) -> None:
    spawn_worker(broker_url)
    job_id = submit("compute.digest", {"data": "hello", "rounds": 1})

    job = job_table.wait_until_ended(job_id)

    expected = hashlib.sha256(b"hello").hexdigest()
    assert (job["status"], job["result"], job["error"]) == (
        "succeeded",
        {"digest": expected, "rounds": 1},
        None,
    )
    assert job["attempts"] == 1


def test_a_job_that_raises_ends_failed_with_a_short_error(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
) -> None:
    worker = spawn_worker(broker_url)
    refused = submit("compute.digest", {"data": "x", "rounds": 0})
    buggy = submit("testing.explode", {})

    job = job_table.wait_until_ended(refused)
    assert (job["status"], job["result"]) == ("failed", None)
    assert job["error"] == "rounds must be an integer within 1..1000000"
    job = job_table.wait_until_ended(buggy)
    assert job["status"] == "failed"
    assert job["error"] == "the job failed unexpectedly"
    # The traceback goes to the worker's log, with the job's id, and nowhere else.
    worker.wait_for_log("KeyError")
    [logged] = [line for line in worker.lines() if line.get("exception")]
    assert str(buggy) in logged["message"]


def test_a_crash_after_the_result_is_stored_does_not_run_the_job_again(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    job_table: "JobTable",
    events: "Events",
    tmp_path: Path,
) -> None:
    marker = tmp_path / "crashed"
    spawn_worker(broker_url, CRASH_ONCE_AFTER_SUCCESS=str(marker))
    job_id = submit("compute.digest", {"data": "once", "rounds": 1000})

    # The pool process died before the acknowledgement: the message came back.
    again = events.wait(id=str(job_id), event="finished", retval="already succeeded")
    assert marker.exists()
    assert again["state"] == "SUCCESS"
    job = job_table.get(job_id)
    assert (job["status"], job["attempts"]) == ("succeeded", 1)
    assert job["result"] == {"digest": iterated_sha256("once", 1000), "rounds": 1000}


def test_a_job_recorded_after_its_message_arrives_still_runs(
    broker_url: str, spawn_worker: "Callable[..., Worker]", submitter: Celery, job_table: "JobTable"
) -> None:
    # tasks sends before it commits: a quick worker can find no record yet.
    spawn_worker(broker_url)
    job_id = job_table.new_id()
    params = {"data": "late", "rounds": 1}
    send_job(submitter, JobMessage(job_id, "compute.digest", params))
    time.sleep(1)
    job_table.add("compute.digest", params, job_id=job_id)

    assert job_table.wait_until_ended(job_id)["status"] == "succeeded"


def test_a_job_that_is_never_recorded_is_dropped(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submitter: Celery,
    events: "Events",
    job_table: "JobTable",
) -> None:
    # The submission was rolled back after its message went out.
    worker = spawn_worker(broker_url)
    job_id = job_table.new_id()
    send_job(submitter, JobMessage(job_id, "compute.digest", {"data": "x", "rounds": 1}))

    waited = MISSING_RETRIES * MISSING_RETRY_SECONDS
    dropped = events.wait(id=str(job_id), event="finished", retval="missing", timeout=waited + 30)
    assert dropped["state"] == "SUCCESS"
    worker.wait_for_log(f"job {job_id} has no record")


def test_a_thousand_jobs_submitted_at_once_all_end_once(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    spawn_uvicorn: SpawnUvicorn,
    job_table: "JobTable",
    mint_token: MintToken,
) -> None:
    tasks = spawn_uvicorn(
        "tasks_service.main:app",
        DATABASE_URL=job_table.engine.url.render_as_string(hide_password=False),
        REDIS_URL=broker_url,
    )
    # Fifty users with as many unfinished jobs as each may have (the tasks quota).
    owners = [4242 + n for n in range(50)]
    headers = {owner: {"Authorization": f"Bearer {mint_token(str(owner))}"} for owner in owners}

    async def submit_all() -> list[str]:
        # Idle connections expire here before uvicorn's 5 s keep-alive closes them, so
        # none is reused at the moment the server drops it.
        limits = httpx.Limits(max_connections=32, keepalive_expiry=2)
        # Requests beyond the 32 connections queue in the client for as long as it takes
        # (pool=None): a busy machine makes the run slower, never a failure.
        timeout = httpx.Timeout(30, pool=None)
        async with httpx.AsyncClient(base_url=tasks, limits=limits, timeout=timeout) as client:

            async def submit(n: int) -> str:
                body = {"kind": "compute.digest", "params": {"data": f"job {n}", "rounds": 10}}
                owner = owners[n % len(owners)]
                response = await client.post("/api/jobs", json=body, headers=headers[owner])
                assert response.status_code == 202, response.text
                job_id: str = response.json()["id"]
                return job_id

            return await asyncio.gather(*(submit(n) for n in range(1000)))

    job_ids = asyncio.run(submit_all())
    assert len(set(job_ids)) == 1000
    spawn_worker(broker_url, "w1")
    spawn_worker(broker_url, "w2")

    deadline = time.monotonic() + 240

    def succeeded() -> int:
        return sum(job_table.count(owner_id=owner, status="succeeded") for owner in owners)

    while succeeded() < 1000:
        assert time.monotonic() < deadline, succeeded()
        time.sleep(1)
    for n, job_id in enumerate(job_ids):
        job = job_table.get(int(job_id))
        # Each ran once, and its result is its own.
        assert job["attempts"] == 1
        assert job["result"] == {"digest": iterated_sha256(f"job {n}", 10), "rounds": 10}


def iterated_sha256(data: str, rounds: int) -> str:
    value = hashlib.sha256(data.encode()).digest()
    for _ in range(rounds - 1):
        value = hashlib.sha256(value).digest()
    return value.hex()
