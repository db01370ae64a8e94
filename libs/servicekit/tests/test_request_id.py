"""The strict pattern an inbound request id must match to be kept."""

import pytest

from servicekit.observability.request_id import is_well_formed


@pytest.mark.parametrize(
    "value",
    ["1", "7212345678901234567", "abc-DEF_123.x", "a" * 64, "f" * 32, "...", "-_-"],
)
def test_well_formed_ids_are_kept(value: str) -> None:
    assert is_well_formed(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a" * 65,
        "abc\n",
        "abc\ninjected log line",
        "abc\r\nX-Evil: 1",
        "has space",
        " leading",
        "trailing ",
        "tab\tid",
        "<script>",
        'quote"d',
        "semi;colon",
        "slash/id",
        "ümlaut",
        "１２３",  # full-width digits
        "٣",  # an Arabic-Indic digit
        "\u212a",  # the Kelvin sign, which case-folds to K
        "abc\x00",
    ],
)
def test_malformed_ids_are_refused(value: str) -> None:
    assert not is_well_formed(value)
