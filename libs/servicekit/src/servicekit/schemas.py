"""Building blocks of request schemas: one rule, one definition, in every service."""

import re
import unicodedata
from typing import Annotated

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

# The largest BIGINT: every id, path parameter and cursor position stays within it, so
# an oversized number is a 422 here rather than an overflow in the database.
MAX_ID = 2**63 - 1

# Control characters (C0, DEL, C1) are refused rather than stored: Postgres cannot store
# NUL at all (MySQL can), and one contract means one rule on both. One line holds no line
# breaks, and no bidirectional embedding, override or isolate either: those make a name
# read as something else than it is ("Trojan Source").
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"


class InputModel(BaseModel):
    """A request body: an unknown field is a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _visible(value: str) -> str:
    # Letters, marks, numbers, punctuation or symbols: not only format characters and
    # separators (zero-width spaces, joiners, a BOM), which would show as nothing.
    if all(unicodedata.category(char)[0] in "CZ" for char in value):
        raise ValueError("must hold a visible character")
    return value


def one_line(max_length: int) -> type[str]:
    """A line of text with something visible in it, surrounding whitespace stripped."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=1,
            max_length=max_length,
            pattern=ONE_LINE_PATTERN,
        ),
        AfterValidator(_visible),
    ]


def text(max_length: int) -> type[str]:
    """Text as sent, line breaks included; only NUL is refused."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL_PATTERN)]


def is_id(value: object) -> bool:
    """Whether a value read from a client (a cursor, say) is a possible row id."""
    return type(value) is int and 0 < value <= MAX_ID


_PLAIN_DECIMAL = re.compile(r"[1-9][0-9]{0,18}")


def _plain_decimal(value: object) -> object:
    # A path segment is text, which pydantic would read leniently ("+1", "1.0", "1_0",
    # " 1"): an id is written one way only.
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError("must be a plain decimal integer")
    return value


def id_path(description: str) -> type[int]:
    """A row id in a URL path: digits only, no sign, no leading zero, 1 to MAX_ID."""
    # The bounds on the inner type: beside a validator, Path's would reach the OpenAPI
    # document as "ge"/"le" instead of minimum/maximum.
    checked_id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_plain_decimal)]
    return Annotated[checked_id, Path(description=description)]
