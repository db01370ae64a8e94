"""The building blocks of request schemas say in the OpenAPI document what they take:
a line's pattern and length are the rule itself, and a field that may be left out but
never be null is not documented as nullable."""

import itertools
import re
import sys
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, TypeAdapter, ValidationError

from servicekit.web.inputs import (
    MAX_ID,
    ONE_VISIBLE_LINE_PATTERN,
    InputModel,
    id_path,
    left_out,
    one_line,
)
from testkit.bad_input import BAD_IDS

if TYPE_CHECKING:
    from .conftest import Serve

LINE = TypeAdapter(one_line(4))
DOCUMENTED = re.compile(ONE_VISIBLE_LINE_PATTERN)
# One of each kind of character the rule tells apart: visible ones (ASCII, accented,
# private use, beyond the BMP), white space stripped at the ends (a space, a tab, a line
# break, NEL, an ideographic space, a line separator), invisible ones that are not
# white space (a zero-width space, a BOM, a tag), controls and a bidi override.
KINDS = ["a", "é", "\ue000", "😀", " ", "\t", "\n", "\x85", "\u3000", "\u2028"]
KINDS += ["\u200b", "\ufeff", "\U000e0041", "\x00", "\x1b", "\x9b", "\u202e"]


def accepted(value: str) -> bool:
    try:
        LINE.validate_python(value)
    except ValidationError:
        return False
    return True


def test_the_documented_pattern_is_the_rule() -> None:
    # Every string of up to three of these characters: the document admits exactly what
    # the service takes (the length apart, which maxLength says).
    for size in range(4):
        for chars in itertools.product(KINDS, repeat=size):
            value = "".join(chars)
            documented = DOCUMENTED.fullmatch(value) is not None
            assert accepted(value) == documented, (repr(value), documented)


def test_a_line_is_stripped_and_holds_something_visible() -> None:
    assert LINE.validate_python(" a\n") == "a"
    for blank in ["", "  ", "\u200b\u2060", "\ufeff", "\t\n"]:
        assert not accepted(blank), repr(blank)


def test_the_length_limit_counts_the_line_as_sent() -> None:
    # The document says maxLength 4: a padded 5-character value breaks it, although
    # what would be kept is shorter.
    assert accepted("abcd")
    assert not accepted(" abc ")
    assert not accepted("abcde")
    assert TypeAdapter(one_line(4)).json_schema()["maxLength"] == 4


def test_invisible_characters_are_unicode_separators_and_format_characters() -> None:
    # The written-out set covers this Python's Zs, Zl, Zp and Cf (Unicode 15.1 or older).
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) in {"Zs", "Zl", "Zp", "Cf"}:
            assert not accepted(f"{char}{char}"), f"U+{code:04X}"


if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    Line = str
    ThingId = int
else:
    Line = one_line(10)
    ThingId = id_path("A thing")


class Update(InputModel):
    title: Line = left_out()


def test_a_field_left_out_is_none_and_null_is_refused() -> None:
    assert Update.model_validate({}).title is None
    assert Update.model_validate({}).model_fields_set == set()
    with pytest.raises(ValidationError):
        Update.model_validate({"title": None})


def test_a_field_left_out_is_not_documented_as_nullable() -> None:
    schema = Update.model_json_schema()["properties"]["title"]
    assert schema["type"] == "string"
    assert "anyOf" not in schema
    assert "default" not in schema
    assert "title" not in Update.model_json_schema().get("required", [])


class Plain(BaseModel):
    name: Line


def test_the_document_shows_the_whole_rule() -> None:
    schema = Plain.model_json_schema()["properties"]["name"]
    assert schema["pattern"] == ONE_VISIBLE_LINE_PATTERN
    assert (schema["minLength"], schema["maxLength"]) == (1, 10)


router = APIRouter()


@router.get("/things/{thing_id}")
async def read_thing(thing_id: ThingId) -> dict[str, Any]:
    return {"id": thing_id}


@pytest.mark.parametrize("thing_id", BAD_IDS)
async def test_an_id_in_a_path_is_a_plain_decimal_in_range(
    serve: "Serve", check_problem: Callable[[httpx.Response, int], dict[str, Any]], thing_id: str
) -> None:
    async with serve([router]) as client:
        refused = await client.get(f"/things/{thing_id}")
        largest = await client.get(f"/things/{MAX_ID}")

    assert [error["loc"] for error in check_problem(refused, 422)["errors"]] == [
        ["path", "thing_id"]
    ]
    assert largest.json() == {"id": MAX_ID}
