"""Building blocks of request schemas: one rule, one definition, in every service."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# The largest BIGINT: every id, path parameter and cursor position stays within it, so
# an oversized number is a 422 here rather than an overflow in the database.
MAX_ID = 2**63 - 1

# Control characters are refused rather than stored: Postgres cannot store NUL at all
# (MySQL can), and one contract means one rule on both. One line holds no line breaks.
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"


class InputModel(BaseModel):
    """A request body: an unknown field is a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def one_line(max_length: int) -> type[str]:
    """A non-empty line of text, surrounding whitespace stripped."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=1,
            max_length=max_length,
            pattern=ONE_LINE_PATTERN,
        ),
    ]


def text(max_length: int) -> type[str]:
    """Text as sent, line breaks included; only NUL is refused."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL_PATTERN)]


def is_id(value: object) -> bool:
    """Whether a value read from a client (a cursor, say) is a possible row id."""
    return type(value) is int and 0 < value <= MAX_ID
