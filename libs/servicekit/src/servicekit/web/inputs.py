"""Building blocks of request schemas: one rule, one definition, in every service."""

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

# The largest BIGINT: every id, path parameter and cursor position stays within it.
from servicecontracts.storage import MAX_ID as MAX_ID

# Control characters (C0, DEL, C1) are refused rather than stored: Postgres cannot store
# NUL at all (MySQL can), and one contract means one rule on both. One line holds no line
# breaks, and no bidirectional embedding, override or isolate either: those make a name
# read as something else than it is ("Trojan Source").
_NOT_IN_A_LINE = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
ONE_LINE_PATTERN = rf"^[^{_NOT_IN_A_LINE}]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"

# What shows as nothing: separators (spaces of every width, line and paragraph
# separators) and format characters (zero-width spaces and joiners, a BOM, bidi marks,
# tags): Unicode 15.1's Zs, Zl, Zp and Cf, written out so that every Python checks the
# same set. Those beyond the BMP are written as characters: a JSON Schema pattern has
# no escape for them that Python's re also reads.
_INVISIBLE = (
    r"\x20\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e"
    r"\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb"
    + "".join(
        chr(first) if first == last else f"{chr(first)}-{chr(last)}"
        for first, last in [
            (0x110BD, 0x110BD),
            (0x110CD, 0x110CD),
            (0x13430, 0x1343F),
            (0x1BCA0, 0x1BCA3),
            (0x1D173, 0x1D17A),
            (0xE0001, 0xE0001),
            (0xE0020, 0xE007F),
        ]
    )
)
_VISIBLE_CHARACTER = re.compile(f"[^{_NOT_IN_A_LINE}{_INVISIBLE}]")
# Unicode White_Space: what pydantic strips from both ends of a line (tabs and line
# breaks there included).
_WHITE_SPACE = r"\t-\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _one_visible_line_pattern() -> str:
    """What `one_line` accepts, as one pattern for the OpenAPI document: white space at
    either end (stripped), then a line that starts and ends with something else and
    holds a visible character. (The length a client reads is the line's own.)"""
    space = f"[{_WHITE_SPACE}]"
    edge = f"[^{_NOT_IN_A_LINE}{_WHITE_SPACE}]"
    inner = f"[^{_NOT_IN_A_LINE}]"
    visible = f"[^{_NOT_IN_A_LINE}{_INVISIBLE}]"
    return f"^{space}*(?:{edge}{inner}*)?{visible}(?:{inner}*{edge})?{space}*$"


ONE_VISIBLE_LINE_PATTERN = _one_visible_line_pattern()


class InputModel(BaseModel):
    """A request body: an unknown field is a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def left_out() -> Any:
    """The default of a field a client may leave out but never set to null (a title in
    a PATCH body): None when it is left out, while the field's type, and so its schema,
    holds no null. A factory, because a plain default would write `"default": null`
    into the document."""
    return Field(default_factory=_nothing)


def _nothing() -> None:
    return None


def _visible(value: str) -> str:
    if not _VISIBLE_CHARACTER.search(value):
        raise ValueError("must hold a visible character")
    return value


def _at_most(max_length: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
        return value

    return check


def one_line(max_length: int) -> Any:
    """A line of text with something visible in it, surrounding whitespace stripped.

    At most `max_length` characters as sent, as the document's maxLength says: counted
    after stripping, a longer line padded with spaces would pass a limit that the
    document says it breaks."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=1,
            max_length=max_length,
            pattern=ONE_LINE_PATTERN,
        ),
        AfterValidator(_visible),
        BeforeValidator(_at_most(max_length)),
        # The rule as a whole for the document: the check is two steps, for two clear
        # messages (a control character; nothing visible).
        Field(json_schema_extra={"pattern": ONE_VISIBLE_LINE_PATTERN}),
    ]


def text(max_length: int) -> Any:
    """Text as sent, line breaks included; only NUL is refused."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL_PATTERN)]


_PLAIN_DECIMAL = re.compile(r"[1-9][0-9]{0,18}")


def _plain_decimal(value: object) -> object:
    # A path segment is text, which pydantic would read leniently ("+1", "1.0", "1_0",
    # " 1"): an id is written one way only.
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError("must be a plain decimal integer")
    return value


def id_path(description: str) -> Any:
    """A row id in a URL path: digits only, no sign, no leading zero, 1 to MAX_ID."""
    # The bounds on the inner type: beside a validator, Path's would reach the OpenAPI
    # document as "ge"/"le" instead of minimum/maximum.
    checked_id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_plain_decimal)]
    return Annotated[checked_id, Path(description=description)]
