"""The periodic jobs log what they did and nothing else: a real worker and beat, every
job every second, on a private Redis and real databases; and Celery's own records of
those jobs, at debug only."""

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from celery.app.trace import LOG_SUCCESS
from celery.app.trace import info as log_task_success

from servicecontracts.view_counts import ViewKeys
from servicekit.observability.logging import configure_logging
from worker_service.housekeeping import FLUSH_TASK, HOUSEKEEPING_TASKS, quiet_housekeeping

if TYPE_CHECKING:
    from .conftest import Events

if TYPE_CHECKING:
    from .conftest import MakeItem

if TYPE_CHECKING:
    from .conftest import Beat, Events, Worker

ROUNDS = 3


def finished_rounds(events: "Events", name: str) -> int:
    return sum(1 for e in events.all() if (e["name"], e["event"]) == (name, "finished"))


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def naming_housekeeping(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if any(name in line["message"] for name in HOUSEKEEPING_TASKS)]


# Logging is the same on both databases; the flushes themselves are tested on both.
@pytest.mark.parametrize("items_database_url", ["postgres"], indirect=True)
def test_the_periodic_jobs_log_only_what_they_did(
    broker_url: str,
    items_database_url: str,
    views_key_prefix: str,
    spawn_worker: "Callable[..., Worker]",
    spawn_beat: "Callable[..., Beat]",
    events: "Events",
    make_item: "MakeItem",
    stored_views: Callable[[int], int | None],
) -> None:
    worker = spawn_worker(
        broker_url,
        ITEMS_DATABASE_URL=items_database_url,
        HEARTBEAT_INTERVAL_SECONDS="1",
        RESEND_INTERVAL_SECONDS="1",
        FLUSH_INTERVAL_SECONDS="1",
    )
    beat = spawn_beat(worker)
    deadline = time.monotonic() + 60
    while any(finished_rounds(events, name) < ROUNDS for name in HOUSEKEEPING_TASKS):
        assert time.monotonic() < deadline, f"the periodic jobs did not run: {events.all()}"
        time.sleep(0.2)

    # Rounds with nothing to do: not one line about them, from the worker or from beat.
    idle = worker.lines() + lines_of(beat.log)
    assert not naming_housekeeping(idle), naming_housekeeping(idle)
    assert not [line for line in idle if "flushed" in line["message"]]

    # A round that moves counts says so, once.
    item = make_item()
    with redis.Redis.from_url(broker_url) as client:
        client.hincrby(ViewKeys(views_key_prefix).pending, str(item), 3)
    deadline = time.monotonic() + 30
    while stored_views(item) != 3:
        assert time.monotonic() < deadline, "the views were never flushed"
        time.sleep(0.2)
    worker.wait_for_log("flushed 3 views of 1 items")
    flushed = [line for line in worker.lines() if line["message"].startswith("flushed ")]
    assert [line["level"] for line in flushed] == ["info"]


@pytest.mark.parametrize(
    ("level", "task", "shown"),
    [
        ("INFO", FLUSH_TASK, None),
        ("DEBUG", FLUSH_TASK, "debug"),
        ("INFO", "reports.user_summary", "info"),
    ],
    ids=["housekeeping-at-info", "housekeeping-at-debug", "a-submitted-job"],
)
def test_celerys_lines_about_housekeeping_are_debug_lines(
    capsys: pytest.CaptureFixture[str], level: str, task: str, shown: str | None
) -> None:
    configure_logging("worker", level, "json")
    quiet_housekeeping()
    quiet_housekeeping()  # installed once, however often logging is set up
    try:
        context = {"id": "1", "name": task, "return_value": "{}", "runtime": 0.01}
        log_task_success(LOG_SUCCESS, context)
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    finally:
        logging.getLogger().setLevel(logging.INFO)

    assert [line["level"] for line in lines] == ([shown] if shown else [])
    assert len(logging.getLogger("celery.app.trace").filters) == 1
