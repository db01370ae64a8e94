"""Keyset cursors declared per listing: what they write, and every way a client's cursor
is refused."""

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import Field

from servicekit.core.errors import InvalidInput
from servicekit.web.cursors import Cursor, Filter, InvalidCursor, RowId, encode_cursor
from servicekit.web.inputs import MAX_ID


class ThingCursor(Cursor, listing="things"):
    done: Filter[bool | None]
    owner_id: Filter[int | None] = Field(None, alias="o")
    after_key: str = Field(alias="k")
    after_id: RowId = Field(alias="i")


class OtherCursor(Cursor, listing="others"):
    after_id: RowId = Field(alias="i")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def document_of(cursor: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return result


@pytest.mark.parametrize(
    "cursor",
    [
        ThingCursor(done=None, after_key="", after_id=1),
        ThingCursor(done=True, owner_id=MAX_ID, after_key="Zoë ☃ 名前", after_id=MAX_ID),
        ThingCursor(done=False, owner_id=3, after_key="x", after_id=17),
        ThingCursor(done=None, after_key="xx", after_id=2),  # another length of padding
    ],
)
def test_a_cursor_round_trips(cursor: ThingCursor) -> None:
    text = cursor.encode()

    assert re.fullmatch(r"[A-Za-z0-9_-]+", text)  # URL-safe, unpadded
    assert ThingCursor.decode(text, done=cursor.done, owner_id=cursor.owner_id) == cursor


def test_a_cursor_writes_its_listing_and_its_fields_under_their_aliases() -> None:
    text = ThingCursor(done=None, after_key="k", after_id=5).encode()

    # A filter with a default is left out while it has it; one without is written as null.
    assert document_of(text) == {"l": "things", "done": None, "k": "k", "i": 5}
    assert document_of(ThingCursor(done=True, owner_id=2, after_key="k", after_id=5).encode()) == {
        "l": "things",
        "done": True,
        "o": 2,
        "k": "k",
        "i": 5,
    }
    assert text == encode_cursor("things", {"done": None, "k": "k", "i": 5})


def test_a_cursor_is_good_only_for_the_listing_that_made_it() -> None:
    text = OtherCursor(after_id=5).encode()

    with pytest.raises(InvalidCursor, match=r"not made for this listing \(things\)"):
        ThingCursor.decode(text, done=None, owner_id=None)
    with pytest.raises(InvalidCursor):  # made before cursors named their listing
        OtherCursor.decode(b64(b'{"i": 5}'))


@pytest.mark.parametrize(
    ("made_for", "used_with"),
    [
        ({"done": True, "owner_id": None}, {"done": None, "owner_id": None}),
        ({"done": None, "owner_id": None}, {"done": False, "owner_id": None}),
        ({"done": False, "owner_id": None}, {"done": True, "owner_id": None}),
        ({"done": None, "owner_id": 1}, {"done": None, "owner_id": None}),
        ({"done": None, "owner_id": None}, {"done": None, "owner_id": 1}),
        ({"done": None, "owner_id": 1}, {"done": None, "owner_id": 2}),
    ],
)
def test_a_cursor_is_good_only_for_the_filters_it_was_made_for(
    made_for: dict[str, Any], used_with: dict[str, Any]
) -> None:
    text = ThingCursor(**made_for, after_key="k", after_id=5).encode()

    with pytest.raises(InvalidCursor, match="does not belong to this listing"):
        ThingCursor.decode(text, **used_with)


WRONG_FIELDS = {
    "id-string": {"done": None, "k": "a", "i": "5"},
    "id-float": {"done": None, "k": "a", "i": 5.0},
    "id-bool": {"done": None, "k": "a", "i": True},
    "id-zero": {"done": None, "k": "a", "i": 0},
    "id-negative": {"done": None, "k": "a", "i": -5},
    "id-over-bigint": {"done": None, "k": "a", "i": MAX_ID + 1},
    "id-null": {"done": None, "k": "a", "i": None},
    "key-int": {"done": None, "k": 5, "i": 5},
    "key-null": {"done": None, "k": None, "i": 5},
    "key-missing": {"done": None, "i": 5},
    "filter-missing": {"k": "a", "i": 5},
    "filter-int-for-bool": {"done": 1, "k": "a", "i": 5},
    "filter-string-for-bool": {"done": "true", "k": "a", "i": 5},
    "filter-bool-for-int": {"done": None, "o": True, "k": "a", "i": 5},
    "extra-key": {"done": None, "k": "a", "i": 5, "x": 1},
    "field-names-not-aliases": {"done": None, "after_key": "a", "after_id": 5},
    "nested": {"done": None, "k": ["a"], "i": 5},
}


@pytest.mark.parametrize("fields", WRONG_FIELDS.values(), ids=WRONG_FIELDS.keys())
def test_a_cursor_with_other_fields_or_types_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidCursor, match="does not belong to this listing"):
        ThingCursor.decode(encode_cursor("things", fields), done=None, owner_id=None)


@pytest.mark.parametrize("text", ["a\x00b", "tab\there", "\x1b[31m", "del\x7f", "c1\x85"])
def test_a_cursor_whose_text_holds_a_control_character_is_malformed(text: str) -> None:
    cursor = encode_cursor("things", {"done": None, "k": text, "i": 1})

    with pytest.raises(InvalidCursor, match="malformed"):
        ThingCursor.decode(cursor, done=None, owner_id=None)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!!",
        "garbage that is not base64",
        "a",  # an impossible length
        "ü" * 8,
        b64(b"not json"),
        b64(b'{"id": 1'),
        b64(b"\xff\xfe\x00"),
        b64(b"[1, 2]"),
        b64(b'"a string"'),
        b64(b"42"),
        b64(b"null"),
        b64(b"true"),
    ],
    ids=[
        "empty",
        "punctuation",
        "spaces",
        "one-char",
        "non-ascii",
        "not-json",
        "truncated-json",
        "binary",
        "array",
        "string",
        "number",
        "null",
        "bool",
    ],
)
def test_a_malformed_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        OtherCursor.decode(cursor)
    assert isinstance(raised.value, InvalidInput)
    assert raised.value.status == 422
    # One fixed message: nothing of what the client sent is reflected.
    assert raised.value.detail == "The cursor is malformed: pass next_cursor unchanged"


@pytest.mark.parametrize(
    "disguise",
    [
        lambda text: text + "=",
        lambda text: text + "==",
        lambda text: f"{text[:4]} {text[4:]}",
        lambda text: text + "\n",
        lambda text: f"{text[:4]}.{text[4:]}",
        lambda text: text.replace("-", "+").replace("_", "/"),
    ],
    ids=["padded", "padded-twice", "space", "newline", "dot", "standard-alphabet"],
)
def test_a_cursor_outside_the_url_safe_alphabet_is_malformed(
    disguise: Callable[[str], str],
) -> None:
    # The decoder alone would skip these characters, or take the standard alphabet and
    # padding, and read the cursor it was given: one cursor, many spellings.
    text = ThingCursor(done=None, after_key="~~~~>>>>????", after_id=5).encode()
    assert {"-", "_"} <= set(text)
    assert ThingCursor.decode(text, done=None, owner_id=None).after_id == 5

    with pytest.raises(InvalidCursor):
        ThingCursor.decode(disguise(text), done=None, owner_id=None)


def test_decoding_without_every_declared_filter_is_a_programming_error() -> None:
    text = ThingCursor(done=None, after_key="k", after_id=5).encode()

    with pytest.raises(TypeError, match=r"\['done', 'owner_id'\]"):
        ThingCursor.decode(text, done=None)
    with pytest.raises(TypeError):
        OtherCursor.decode(OtherCursor(after_id=1).encode(), done=None)
