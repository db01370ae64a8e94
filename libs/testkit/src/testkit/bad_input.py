"""Bad input every service refuses the same way: ids that are not ids, cursors that are
not cursors, bodies that are no JSON object, and input that must never come back in a
problem body."""

import base64
import json

import httpx

MAX_ID = 2**63 - 1

# Only plain decimal digits name an id: no sign, point, exponent, prefix, separator,
# padding, and nothing past a signed 64-bit integer.
BAD_IDS = ["abc", "0", "-1", "1.5", "1e3", "0x10", str(MAX_ID + 1), "9" * 20, "9" * 400]
BAD_IDS += ["1.0", "+1", "01", "1_0", " 1"]
# The whole table runs once, against servicekit's `id_path`; a service's route shows it
# declares its id that way with these: one of each check (digits, bounds, one spelling).
A_FEW_BAD_IDS = ["abc", "0", str(MAX_ID + 1), "01"]

# Bodies that are no JSON object, refused with a 422 by every endpoint that takes one
# (FastAPI reads the body, servicekit answers the problem). The whole table runs once,
# in servicekit's problem tests; a service sends an endpoint one, and a list of a body
# it would take.
NOT_JSON_OBJECTS = {
    "truncated": b'{"name": "Ann", "count": ',
    "single-quotes": b"{'name': 'Ann'}",
    "trailing-comma": b'{"name": "Ann",}',
    "not-json": b"not json",
    "empty": b"",
    "list": b"[]",
    "null": b"null",
    "string": b'"Ann"',
    "number": b"5",
}


def b64(raw: bytes) -> str:
    """Base64 as cursors are encoded: how to dress up bytes that are no cursor."""
    return base64.urlsafe_b64encode(raw).decode()


# Not a cursor of any listing; each service adds cursors of the wrong shape for its own.
NOT_CURSORS = {
    "random-text": "not a cursor at all",
    "bad-base64": "!!**~~",
    "truncated-base64": "abc",
    "base64-of-binary": b64(b"\x00\xff\xfe garbage \x80"),
    "base64-of-json-list": b64(b"[]"),
    "base64-of-null": b64(b"null"),
    "base64-of-text": b64(b"12abc"),
}

# Long and easy to spot: a problem body may say which field is wrong, never repeat it.
ECHO = "Zx9-echo-" * 1200
ECHO_PROBE = "Zx9-echo-Zx9-echo-"


def echoing_fields(response: httpx.Response) -> list[str]:
    """The problem fields that carry (part of) ECHO: named, so a failure stays readable."""
    return [key for key, value in response.json().items() if ECHO_PROBE in json.dumps(value)]
