"""Request and response bodies of the tasks API."""

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, BeforeValidator, Field

from servicekit.web.cursors import Cursor, Filter, RowId
from servicekit.web.inputs import InputModel, left_out, one_line
from tasks_service.models import TITLE_MAX_CHARS

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_DUE_YEAR = 1970


if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    Title = str
else:
    Title = one_line(TITLE_MAX_CHARS)


def _due_date(value: object) -> object:
    # pydantic alone would also take Unix timestamps and datetimes at midnight.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a day of the calendar") from None
    if parsed.year < EARLIEST_DUE_YEAR:  # four digits cap it at 9999
        raise ValueError(f"must be in the years {EARLIEST_DUE_YEAR} to 9999")
    return parsed


# `format: date` alone says any year from 0001: the pattern says which years, so that
# a date the document admits is a date the service takes.
DUE_DATE_PATTERN = r"^(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$"
DueDate = Annotated[
    date,
    BeforeValidator(_due_date),
    Field(
        json_schema_extra={
            "pattern": DUE_DATE_PATTERN,
            "description": f"A day from {EARLIEST_DUE_YEAR}-01-01 to 9999-12-31, YYYY-MM-DD",
        }
    ),
]


class TaskCreate(InputModel):
    title: Title
    due_date: DueDate | None = None


class TaskUpdate(InputModel):
    """Only the fields sent change; `due_date: null` clears the due date, while a title
    is never null. `done` is not here: PUT and DELETE on /tasks/{id}/done change it."""

    title: Title = left_out()
    due_date: DueDate | None = None


class TaskRead(BaseModel):
    id: int
    title: str
    due_date: date | None
    done: bool
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None


class TaskCursor(Cursor, listing="tasks"):
    """Where a page of the caller's tasks in id order ends, for one `done` filter."""

    # Written even when null: a cursor without it was not made by this listing.
    done: Filter[bool | None]
    after_id: RowId = Field(alias="i")
