"""Bulk demo tasks: `python -m tasks_service.seed --count 100000 --owners 1000`.

Owner ids are user ids of the users service (1..M; tasks cannot check them). The demo
owner gets a few dozen tasks, the rest are spread over the other owners; some are done,
some have due dates. Rows go in as multi-row INSERTs in large batches.
"""

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine

from servicekit.core.settings import DatabaseSettings, load_settings
from servicekit.db.engines import has_rows, sync_url
from servicekit.db.models import utcnow
from tasks_service.models import Task

BATCH = 10_000
DEMO_TASKS = 36
DONE_SHARE = 0.35
DUE_SHARE = 0.4
HISTORY = timedelta(days=180)

VERBS = (
    "Buy Call Check Clean Email File Finish Fix Order Plan Read Renew Review Schedule Send "
    "Sort Update Water Write"
).split()
OBJECTS = (
    "the plants|the car insurance|the dentist|the quarterly report|the invoice|the garage|"
    "the passport|the team meeting|the groceries|the tax return|the backlog|the slides|"
    "the bike|the library books|the newsletter|the release notes|the budget|the gym plan"
).split("|")


def demo_task_count(count: int, owners: int, demo_owner: int) -> int:
    """A few dozen, unless the demo owner is the only owner there is."""
    alone = owners == 1 and demo_owner == 1
    return count if alone else min(count, DEMO_TASKS)


def owners_of(count: int, owners: int, demo_owner: int, rng: random.Random) -> Iterator[int]:
    """The owner of each new task: the demo owner's tasks first, then the others'."""
    demo = demo_task_count(count, owners, demo_owner)
    others = [owner for owner in range(1, owners + 1) if owner != demo_owner]
    for n in range(count):
        yield demo_owner if n < demo else rng.choice(others)


def task_row(owner_id: int, created: datetime, now: datetime, rng: random.Random) -> dict[str, Any]:
    done_at = None
    if rng.random() < DONE_SHARE:
        done_at = created + (now - created) * rng.random()
    due_date: date | None = None
    if rng.random() < DUE_SHARE:
        due_date = created.date() + timedelta(days=rng.randrange(-7, 90))
    return {
        "owner_id": owner_id,
        "title": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}",
        "due_date": due_date,
        "done": done_at is not None,
        "done_at": done_at,
        "created_at": created,
        "updated_at": done_at or created,
    }


def seed(engine: Engine, count: int, owners: int, demo_owner: int, rng: random.Random) -> int:
    """Inserts `count` tasks; returns how many there are now."""
    now = utcnow()
    start = now - HISTORY
    # Creation times rise with the ids, as they would have in real use.
    step = HISTORY / max(count, 1)
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for n, owner_id in enumerate(owners_of(count, owners, demo_owner, rng)):
            batch.append(task_row(owner_id, start + step * n, now, rng))
            if len(batch) == BATCH:
                connection.execute(insert(Task), batch)
                batch = []
        if batch:
            connection.execute(insert(Task), batch)
        return connection.execute(select(func.count()).select_from(Task)).scalar_one()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="tasks to add (default 1000)")
    parser.add_argument("--owners", type=int, default=100, help="owner ids 1..M (default 100)")
    parser.add_argument(
        "--demo-owner", type=int, default=1, help="the demo account's user id (default 1)"
    )
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument(
        "--if-empty", action="store_true", help="add nothing when there are tasks already"
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    if args.owners < 1:
        parser.error("--owners must be >= 1")
    if args.demo_owner < 1:
        parser.error("--demo-owner must be >= 1")
    engine = create_engine(sync_url(load_settings(DatabaseSettings).database_url))
    if args.if_empty and has_rows(engine, "tasks"):
        print("tasks has rows already: nothing seeded", file=sys.stderr)
        engine.dispose()
        return
    started = time.perf_counter()
    total = seed(engine, args.count, args.owners, args.demo_owner, random.Random(args.random_seed))
    engine.dispose()
    elapsed = time.perf_counter() - started
    demo = demo_task_count(args.count, args.owners, args.demo_owner)
    print(
        f"seeded {args.count} tasks for owners 1..{args.owners} in {elapsed:.1f}s "
        f"({total} in all), {demo} of them for the demo owner {args.demo_owner}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
