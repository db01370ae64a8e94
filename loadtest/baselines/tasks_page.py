"""The statement of the tasks service's list page (tasks_service/queries.sql), for the
MariaDB baselines: one owner's tasks by id, TaskRead's columns in its order, and the
values the service answers with.

The owner is the bench data's demo owner (36 tasks; the seed spreads the others' tasks
one or two per owner), fixed: the baselines verify no token, so a service row's ratio to
them includes the service's token check (one Ed25519 verification).
"""

from datetime import UTC, datetime

combine = datetime.combine

OWNER = 1
QUERY = (
    "SELECT id, title, due_date, done, created_at, updated_at, done_at FROM tasks"
    " WHERE owner_id = %s ORDER BY id LIMIT %s"
)


def as_answered(row: dict) -> dict:
    """A row as the service answers it: MySQL gives TINYINT(1) for a boolean and naive
    datetimes (in UTC, the session's zone). Without this a baseline would answer
    `"done": 0` and times without their zone, work the service must do and it would not.
    `datetime.combine` with a positional zone is the quickest way to an aware one."""
    row["done"] = row["done"] != 0
    for key in ("created_at", "updated_at", "done_at"):
        value = row[key]
        if value is not None:
            row[key] = combine(value.date(), value.time(), UTC)
    return row
