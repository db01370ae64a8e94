"""Bad input gets a clear 4xx problem and writes nothing: unknown fields, wrong types,
empty and huge titles, due dates that are not dates, bad limits, filters and ids,
malformed and oversized bodies. Checked with `stored` (SQL) after every request.

All of it is refused before any SQL runs: in both modes, on Postgres alone."""

import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.backends import before_any_sql
from testkit.bad_input import A_FEW_BAD_IDS, ECHO, NOT_JSON_OBJECTS, echoing_fields
from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import Stored, TaskFactory

pytestmark = before_any_sql

MIB = 1024 * 1024
MISSING = object()

NOT_DATES = {
    "datetime": "2026-12-31T00:00:00",
    "datetime-utc": "2026-12-31T10:00:00Z",
    "datetime-space": "2026-12-31 00:00:00",
    "date-with-offset": "2026-12-31+01:00",
    "february-30": "2026-02-30",
    "february-29-of-common-year": "2027-02-29",
    "month-13": "2026-13-01",
    "day-0": "2026-12-00",
    "tomorrow": "tomorrow",
    "us-format": "12/31/2026",
    "european-format": "31.12.2026",
    "compact": "20261231",
    "week-date": "2026-W53-1",
    "ordinal-date": "2026-365",
    "unpadded": "2026-1-1",
    "padded-with-spaces": " 2026-12-31 ",
    "signed-year": "+2026-12-31",
    "five-digit-year": "10000-01-01",
    "year-0": "0000-01-01",
    "year-1969": "1969-12-31",
    "year-1000": "1000-01-01",
    "non-ascii-digits": "٢٠٢٦-١٢-٣١",
    "fullwidth-digits": "２０２６-１２-３１",
    "empty": "",
    "int": 20261231,
    "unix-timestamp": 1798675200,
    "zero": 0,
    "float": 1.5,
    "bool": True,
    "list": ["2026-12-31"],
    "object": {"year": 2026, "month": 12, "day": 31},
}

BAD_TITLES = {
    "missing": MISSING,
    "null": None,
    "empty": "",
    "blank": " \t ",
    "newlines-only": "\n\r\n",
    "201-chars": "t" * 201,
    "201-chars-after-strip": " " + "t" * 201 + " ",
    # The limit counts the title as sent, as the document's maxLength says.
    "201-chars-as-sent": " " + "t" * 199 + " ",
    "10000-chars": "t" * 10_000,
    "int": 5,
    "float": 1.5,
    "bool": True,
    "list": ["Water the plants"],
    "object": {"text": "Water the plants"},
    "nul": "Water\x00the plants",
    "c1-control": "Water\x85the plants",
    "bidi-override": "Water \u202ethe plants",
    "only-invisible": "\u200b\u200c\u200d",
    "inner-newline": "Water\nthe plants",
    "inner-tab": "Water\tthe plants",
    "escape": "Water \x1b[31mred",
    "del": "Water\x7f",
}


def with_title(title: object) -> dict[str, Any]:
    return {} if title is MISSING else {"title": title}


INVALID_CREATE = {
    **{f"title-{name}": with_title(title) for name, title in BAD_TITLES.items()},
    **{f"due-date-{name}": {"title": "T", "due_date": value} for name, value in NOT_DATES.items()},
    "unknown-field": {"title": "T", "priority": "high"},
    "done-field": {"title": "T", "done": True},
    "done-false-field": {"title": "T", "done": False},
    "done-at-field": {"title": "T", "done_at": "2026-01-01T00:00:00Z"},
    "id-field": {"title": "T", "id": 1},
    "owner-id-field": {"title": "T", "owner_id": 1},
    "created-at-field": {"title": "T", "created_at": "2020-01-01T00:00:00Z"},
    "updated-at-field": {"title": "T", "updated_at": "2020-01-01T00:00:00Z"},
    "empty-object": {},
}


@pytest.mark.parametrize("body", INVALID_CREATE.values(), ids=INVALID_CREATE.keys())
async def test_create_rejects_invalid_body_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    stored: "Stored",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    body: dict[str, Any],
) -> None:
    before = await stored.fingerprint()

    response = await client.post(f"{api}/tasks", json=body, headers=owner_factory().headers)

    assert_invalid(response)
    assert await stored.fingerprint() == before


# Every kind of body that is no JSON object: servicekit's test_problem_details.
@pytest.mark.parametrize(
    "raw",
    [
        NOT_JSON_OBJECTS["truncated"],
        b'[{"title": "Water the plants"}]',
        b'{"title": "a\\ud800b"}',
    ],
    ids=["truncated", "list-of-valid-task", "lone-surrogate"],
)
async def test_create_rejects_malformed_or_non_object_json(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    stored: "Stored",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    raw: bytes,
) -> None:
    before = await stored.fingerprint()

    response = await client.post(
        f"{api}/tasks",
        content=raw,
        headers=owner_factory().headers | {"content-type": "application/json"},
    )

    assert_invalid(response)
    assert await stored.fingerprint() == before


# A change takes the title and due date of a new task (TaskUpdate and TaskCreate share
# their types, whose every refusal the create table shows); here, one of each kind, and
# what only a change refuses.
PATCH_SAMPLES = ["null", "empty", "201-chars-as-sent", "int", "nul"]
INVALID_PATCH = {
    **{f"title-{name}": with_title(BAD_TITLES[name]) for name in PATCH_SAMPLES},
    **{f"due-date-{name}": {"due_date": NOT_DATES[name]} for name in ["february-30", "int"]},
    "done-true": {"done": True},
    "done-false": {"done": False},
    "done-at": {"done_at": None},
    "unknown-field": {"priority": "high"},
    "id-field": {"id": 1},
    "owner-id-field": {"owner_id": 1},
    "valid-title-with-invalid-due-date": {"title": "Renamed", "due_date": "tomorrow"},
    "valid-title-with-done": {"title": "Renamed", "done": True},
}


@pytest.mark.parametrize("body", INVALID_PATCH.values(), ids=INVALID_PATCH.keys())
async def test_patch_rejects_invalid_body_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    body: dict[str, Any],
) -> None:
    me = owner_factory()
    task = await task_factory(me, title="Water the plants", due_date="2026-12-31")
    row, fingerprint = await stored.task(task["id"]), await stored.fingerprint()

    response = await client.patch(f"{api}/tasks/{task['id']}", json=body, headers=me.headers)

    assert_invalid(response)
    assert await stored.task(task["id"]) == row
    assert await stored.fingerprint() == fingerprint


async def test_patch_rejects_a_body_that_is_no_json_object(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    row = await stored.task(task["id"])

    response = await client.patch(
        f"{api}/tasks/{task['id']}",
        content=NOT_JSON_OBJECTS["list"],
        headers=me.headers | {"content-type": "application/json"},
    )

    assert_invalid(response)
    assert await stored.task(task["id"]) == row


# --- validation errors never echo the rejected input ---------------------------------

ECHO_REQUESTS = {
    "title": ("POST", "{api}/tasks", {"json": {"title": ECHO}}),
    "title-in-list": ("POST", "{api}/tasks", {"json": {"title": [ECHO]}}),
    "due-date": ("POST", "{api}/tasks", {"json": {"title": "T", "due_date": ECHO}}),
    "unknown-field": ("POST", "{api}/tasks", {"json": {"title": "T", "note": ECHO}}),
    "patch-title": ("PATCH", "{api}/tasks/{id}", {"json": {"title": ECHO}}),
    "malformed-json": (
        "POST",
        "{api}/tasks",
        {"content": '{"title": "' + ECHO, "headers": {"content-type": "application/json"}},
    ),
    "done-filter": ("GET", "{api}/tasks", {"params": {"done": ECHO}}),
    "cursor": ("GET", "{api}/tasks", {"params": {"cursor": ECHO[:500]}}),
    "limit": ("GET", "{api}/tasks", {"params": {"limit": ECHO}}),
    "task-id": ("GET", "{api}/tasks/" + ECHO, {}),
}


@pytest.mark.parametrize(("method", "path", "options"), ECHO_REQUESTS.values(), ids=ECHO_REQUESTS)
async def test_validation_error_does_not_echo_the_input(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    before = await stored.fingerprint()
    headers = me.headers | options.get("headers", {})
    options = {key: value for key, value in options.items() if key != "headers"}

    response = await client.request(
        method, path.format(api=api, id=task["id"]), headers=headers, **options
    )

    assert_problem(response, 422)
    assert echoing_fields(response) == []
    assert await stored.fingerprint() == before


# --- query parameters and ids ---------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "101", "1000", "-1", "abc", "1.5", "", "1e2"])
async def test_list_rejects_bad_limit(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    limit: str,
) -> None:
    me = owner_factory()
    await task_factory(me)

    response = await client.get(f"{api}/tasks", params={"limit": limit}, headers=me.headers)

    assert_invalid(response)


@pytest.mark.parametrize(
    "done", ["yes", "no", "1", "0", "True", "FALSE", "t", "on", "off", "", "null", "true "]
)
async def test_list_rejects_done_other_than_true_or_false(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    done: str,
) -> None:
    me = owner_factory()
    await task_factory(me, done=True)

    response = await client.get(f"{api}/tasks", params={"done": done}, headers=me.headers)

    assert_invalid(response)


ROUTES = [
    ("GET", ""),
    ("PATCH", ""),
    ("DELETE", ""),
    ("PUT", "/done"),
    ("DELETE", "/done"),
]


# Every id that is no id: servicekit's test_inputs (`id_path`).
@pytest.mark.parametrize(("method", "suffix"), ROUTES, ids=[f"{m}{s}" for m, s in ROUTES])
@pytest.mark.parametrize("task_id", A_FEW_BAD_IDS)
async def test_invalid_task_id_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
    method: str,
    suffix: str,
    task_id: str,
) -> None:
    me = owner_factory()
    await task_factory(me, done=True)
    before = await stored.fingerprint()

    response = await client.request(
        method, f"{api}/tasks/{task_id}{suffix}", json={"title": "Renamed"}, headers=me.headers
    )

    assert_invalid(response)
    assert await stored.fingerprint() == before


# --- body size ------------------------------------------------------------------------


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# Sizes far past the limit: servicekit's test_body_limit; here, one byte past it.
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [MIB + 1], ids=["1MiB+1"])
async def test_oversized_create_body_is_413_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    size: int,
    streamed: bool,
) -> None:
    before = await stored.fingerprint()
    prefix, suffix = b'{"title": "', b'"}'
    raw = prefix + b"t" * (size - len(prefix) - len(suffix)) + suffix
    assert len(raw) == size

    response = await client.post(
        f"{api}/tasks",
        content=chunks(raw) if streamed else raw,
        headers=owner_factory().headers | {"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert "t" * 100 not in response.text
    assert await stored.fingerprint() == before


async def test_body_of_exactly_1_mib_is_validated_not_refused(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    stored: "Stored",
    assert_invalid: Callable[[httpx.Response], dict[str, Any]],
) -> None:
    before = await stored.fingerprint()
    prefix, suffix = b'{"title": "', b'"}'
    raw = prefix + b"t" * (MIB - len(prefix) - len(suffix)) + suffix

    response = await client.post(
        f"{api}/tasks",
        content=raw,
        headers=owner_factory().headers | {"content-type": "application/json"},
    )

    assert_invalid(response)
    assert await stored.fingerprint() == before


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_patch_body_is_413_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    streamed: bool,
) -> None:
    me = owner_factory()
    task = await task_factory(me, title="Water the plants")
    row = await stored.task(task["id"])
    raw = json.dumps({"title": "t" * 2 * MIB}).encode()

    response = await client.patch(
        f"{api}/tasks/{task['id']}",
        content=chunks(raw) if streamed else raw,
        headers=me.headers | {"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert await stored.task(task["id"]) == row
