"""The worker's app as the tests start it (`-A worker_test_app`, tests/ on PYTHONPATH).

It adds what only tests need, leaving the production modules alone: every job start and
finish is pushed to a Redis list the tests read; `testing.sleep` is a job that runs as
long as a test needs to kill or stop a worker in the middle of it; `testing.explode` is
a recorded job with a bug; and with CRASH_ONCE_AFTER_SUCCESS=<file> the first pool
process to store a job's result dies before the message is acknowledged.
"""

import contextlib
import json
import os
import time
from typing import Any

import redis
from celery import Task, signals

from servicekit.observability.request_id import REQUEST_ID_HEADER
from worker_service.celery_app import app
from worker_service.job_runner import JobRunner
from worker_service.resources import Resources
from worker_service.settings import WorkerSettings

EVENTS_KEY = "worker-test:events"
_clients: dict[int, redis.Redis] = {}


def _record(event: str, task: Task, **fields: object) -> None:
    # One client per process: pool processes are forked from the main one.
    client = _clients.get(os.getpid())
    if client is None:
        client = _clients[os.getpid()] = redis.Redis.from_url(app.conf.broker_url)
    entry = {
        "event": event,
        "id": task.request.id,
        "name": task.name,
        "hostname": task.request.hostname,
        "request_id": getattr(task.request, REQUEST_ID_HEADER, None),
        **fields,
    }
    # Redis may be restarting under the test: that test reads only later events.
    with contextlib.suppress(redis.RedisError):
        client.rpush(EVENTS_KEY, json.dumps(entry, default=str))


@signals.task_prerun.connect
def _started(task: Task | None = None, **_kwargs: Any) -> None:
    _record("started", task)


@signals.task_postrun.connect
def _finished(
    task: Task | None = None, retval: object = None, state: str | None = None, **_kwargs: Any
) -> None:
    _record("finished", task, state=state, retval=retval)
    crash_marker = os.environ.get("CRASH_ONCE_AFTER_SUCCESS")
    if crash_marker and retval == "succeeded" and not os.path.exists(crash_marker):
        with open(crash_marker, "w"):
            pass
        # As an OOM kill would, after the commit and before the acknowledgement.
        os._exit(1)


_resources = Resources(WorkerSettings())
_runner = JobRunner(lambda: _resources.job_records, max_retries=0, soft_time_limit=1)


@app.task(name="testing.explode", bind=True, runs_under_record=True)
def explode(task: Task) -> str:
    nothing: dict[str, str] = {}
    return _runner.run(task, lambda: nothing["a key that is not there"])


@app.task(name="testing.sleep")
def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
