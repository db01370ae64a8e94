"""The worker's app as the tests start it (`-A worker_test_app`, tests/ on PYTHONPATH).

It adds what only tests need, leaving the production modules alone: every job start and
finish is pushed to a Redis list the tests read, and `testing.sleep` is a job that runs
as long as a test needs to kill or stop a worker in the middle of it.
"""

import contextlib
import json
import os
import time

import redis
from celery import signals

from worker_service.celery_app import app

EVENTS_KEY = "worker-test:events"
_clients: dict[int, redis.Redis] = {}


def _record(event: str, task, **fields) -> None:
    # One client per process: pool processes are forked from the main one.
    client = _clients.get(os.getpid())
    if client is None:
        client = _clients[os.getpid()] = redis.Redis.from_url(app.conf.broker_url)
    entry = {
        "event": event,
        "id": task.request.id,
        "name": task.name,
        "hostname": task.request.hostname,
        "request_id": getattr(task.request, "request_id", None),
        **fields,
    }
    # Redis may be restarting under the test: that test reads only later events.
    with contextlib.suppress(redis.RedisError):
        client.rpush(EVENTS_KEY, json.dumps(entry, default=str))


@signals.task_prerun.connect
def _started(task=None, **_kwargs) -> None:
    _record("started", task)


@signals.task_postrun.connect
def _finished(task=None, retval=None, state=None, **_kwargs) -> None:
    _record("finished", task, state=state, retval=retval)


@app.task(name="testing.sleep")
def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
