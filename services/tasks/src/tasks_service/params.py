"""Request parameters both modes declare the same way: one contract, one definition."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Query
from pydantic import BeforeValidator

from servicekit.web.inputs import id_path

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    TaskId = int
else:
    TaskId = id_path("A task's id")


def _true_or_false(value: object) -> object:
    # pydantic alone would also take yes/no, on/off, 1/0, t/f in any case.
    if value == "true":
        return True
    if value == "false":
        return False
    raise ValueError("must be true or false")


DoneFilter = Annotated[
    bool | None,
    BeforeValidator(_true_or_false),
    Query(description="Only done tasks (true) or only open ones (false)"),
]
