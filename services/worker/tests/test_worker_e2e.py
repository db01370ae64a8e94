"""Real worker processes on a private Redis: delivery, crashes, restarts, shutdown.

Jobs are sent as a service sends them (`servicekit.clients.jobs.send_job`, by name); submitted
jobs are recorded first, as tasks records them. What a worker did is read from the
events `worker_test_app` records, from the job records and from its JSON logs.
"""

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from asgi_correlation_id.context import correlation_id
from celery import Celery

from devstack.servers import RedisServer
from servicecontracts.job_messages import JobMessage
from servicecontracts.view_counts import ViewKeys
from servicekit.clients.jobs import create_celery, send_job

if TYPE_CHECKING:
    from .conftest import MakeItem

if TYPE_CHECKING:
    from .conftest import Beat, Events, JobTable, Worker

_job_numbers = itertools.count(1)


def new_job_id(label: str) -> str:
    return f"{label}-{os.getpid()}-{next(_job_numbers)}"


def wait_until(
    condition: Callable[[], object], timeout: float = 30, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached in {timeout} s")


def test_a_flush_job_moves_counts_to_the_table(
    broker_url: str,
    items_database_url: str,
    views_key_prefix: str,
    spawn_worker: "Callable[..., Worker]",
    submitter: Celery,
    events: "Events",
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    item = make_item(views=1)
    with redis.Redis.from_url(broker_url) as client:
        client.hincrby(ViewKeys(views_key_prefix).pending, str(item), 3)
    spawn_worker(broker_url, ITEMS_DATABASE_URL=items_database_url)
    job = new_job_id("flush")

    send_job(submitter, JobMessage(job, "counters.flush_item_views", {}))

    done = events.wait(id=job, event="finished")
    assert done["state"] == "SUCCESS", done
    assert done["retval"]["views"] == 3
    assert stored_views(item) == 4


def test_beat_sends_flushes_every_interval(
    broker_url: str,
    items_database_url: str,
    views_key_prefix: str,
    spawn_worker: "Callable[..., Worker]",
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
    spawn_beat: "Callable[..., Beat]",
) -> None:
    item = make_item()
    worker = spawn_worker(broker_url, ITEMS_DATABASE_URL=items_database_url)
    beat = spawn_beat(worker, FLUSH_INTERVAL_SECONDS="1")
    with redis.Redis.from_url(broker_url) as client:
        client.hincrby(ViewKeys(views_key_prefix).pending, str(item), 2)
        wait_until(lambda: stored_views(item) == 2, what="first flush")
        client.hincrby(ViewKeys(views_key_prefix).pending, str(item), 5)
        wait_until(lambda: stored_views(item) == 7, what="second flush")
    beat.process.terminate()
    assert beat.process.wait(timeout=15) == 0
    lines = beat.log.read_text().splitlines()
    assert lines
    assert all(line.startswith("{") for line in lines), lines


def test_a_job_of_a_killed_worker_goes_to_another_worker(
    broker_url: str, spawn_worker: "Callable[..., Worker]", submitter: Celery, events: "Events"
) -> None:
    first = spawn_worker(broker_url, "w1", concurrency=1)
    job = new_job_id("sleep")
    send_job(submitter, JobMessage(job, "testing.sleep", {"seconds": 3}))
    assert events.wait(id=job, event="started")["hostname"].startswith("w1@")

    first.kill()
    spawn_worker(broker_url, "w2", concurrency=1)

    # Back in the queue once the visibility timeout (10 s here) has passed.
    done = events.wait(id=job, event="finished", timeout=60)
    assert done["hostname"].startswith("w2@")
    assert done["state"] == "SUCCESS"


def test_worker_consumes_again_after_redis_restarts_while_idle(
    own_redis: RedisServer,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    events_on: "type[Events]",
    job_table: "JobTable",
) -> None:
    worker = spawn_worker(own_redis.url, HEARTBEAT_INTERVAL_SECONDS="1")
    before = submit("compute.digest", {"data": "a", "rounds": 1}, broker=own_redis.url)
    assert job_table.wait_until_ended(before)["status"] == "succeeded"

    own_redis.stop()
    time.sleep(3)
    own_redis.start()  # empty: this Redis keeps nothing on disk

    after = submit("compute.digest", {"data": "b", "rounds": 1}, broker=own_redis.url)
    assert job_table.wait_until_ended(after, timeout=60)["status"] == "succeeded"
    # The heartbeat comes through the worker's own queue again: its binding is back.
    heartbeat = events_on(own_redis.url).wait(name="health.heartbeat", event="finished")
    assert heartbeat["hostname"].startswith("w1@")
    assert worker.process.poll() is None  # the same process, never restarted


def test_jobs_queued_when_redis_restarts_empty_are_sent_again(
    own_redis: RedisServer,
    spawn_worker: "Callable[..., Worker]",
    spawn_beat: "Callable[..., Beat]",
    submit: Callable[..., int],
    events_on: "type[Events]",
    job_table: "JobTable",
) -> None:
    worker = spawn_worker(own_redis.url, concurrency=1, RESEND_INTERVAL_SECONDS="1")
    busy = new_job_id("sleep")
    send_job(
        create_celery("submitter", own_redis.url), JobMessage(busy, "testing.sleep", {"seconds": 3})
    )
    queued = [
        submit("compute.digest", {"data": f"q{n}", "rounds": 1}, broker=own_redis.url)
        for n in range(3)
    ]
    events_on(own_redis.url).wait(id=busy, event="started")

    own_redis.stop()
    time.sleep(3)
    own_redis.start()  # the queued messages are gone; their records say "queued"
    assert {job_table.get(job)["status"] for job in queued} == {"queued"}

    spawn_beat(worker)
    for job in queued:
        ended = job_table.wait_until_ended(job, timeout=60)
        assert (ended["status"], ended["attempts"]) == ("succeeded", 1)
    assert worker.process.poll() is None


def run_liveness(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "worker_service.liveness"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)


def test_liveness_follows_the_heartbeat(
    broker_url: str, spawn_worker: "Callable[..., Worker]", events: "Events"
) -> None:
    worker = spawn_worker(broker_url, HEARTBEAT_INTERVAL_SECONDS="1", LIVENESS_MAX_AGE_SECONDS="3")
    assert run_liveness(worker.env).returncode == 0
    beat = events.wait(name="health.heartbeat", event="finished")
    assert beat["hostname"].startswith("w1@")

    # A worker that no longer consumes: stopped, so nothing touches the file.
    os.killpg(worker.process.pid, signal.SIGSTOP)
    try:
        time.sleep(4)
        stale = run_liveness(worker.env)
    finally:
        os.killpg(worker.process.pid, signal.SIGCONT)
    assert stale.returncode == 1
    assert "no longer consumes" in stale.stderr

    wait_until(lambda: run_liveness(worker.env).returncode == 0, what="fresh heartbeat")


def test_liveness_fails_without_a_heartbeat_file(tmp_path: Path) -> None:
    env = os.environ | {"HEARTBEAT_FILE": str(tmp_path / "none")}
    missing = run_liveness(env)
    assert missing.returncode == 1
    assert "no heartbeat file" in missing.stderr


def test_sigterm_lets_the_running_job_finish(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submitter: Celery,
    submit: Callable[..., int],
    events: "Events",
    job_table: "JobTable",
) -> None:
    worker = spawn_worker(broker_url, concurrency=1)
    running = new_job_id("sleep")
    send_job(submitter, JobMessage(running, "testing.sleep", {"seconds": 3}))
    waiting = submit("compute.digest", {"data": "w", "rounds": 1})
    events.wait(id=running, event="started")

    worker.process.send_signal(signal.SIGTERM)

    assert worker.process.wait(timeout=30) == 0
    assert events.wait(id=running, event="finished")["state"] == "SUCCESS"
    assert job_table.get(waiting)["status"] == "queued"
    with redis.Redis.from_url(broker_url) as client:
        assert any(str(waiting).encode() in raw for raw in client.lrange("celery", 0, -1))
    spawn_worker(broker_url, "w2")
    assert job_table.wait_until_ended(waiting)["status"] == "succeeded"


def test_job_logs_carry_the_request_id(
    broker_url: str,
    spawn_worker: "Callable[..., Worker]",
    submit: Callable[..., int],
    events: "Events",
) -> None:
    worker = spawn_worker(broker_url)
    token = correlation_id.set("req-7f3a.b_c")
    try:
        job = str(submit("compute.digest", {"data": "r", "rounds": 1}))
    finally:
        correlation_id.reset(token)

    assert events.wait(id=job, event="finished")["request_id"] == "req-7f3a.b_c"

    def logged() -> list[dict[str, Any]]:
        return [line for line in worker.lines() if job in line["message"]]

    wait_until(lambda: any(line.get("request_id") for line in logged()), what="job log")
    assert {line["request_id"] for line in logged() if "request_id" in line} == {"req-7f3a.b_c"}
    assert all(line["service"] == "worker" for line in worker.lines())
