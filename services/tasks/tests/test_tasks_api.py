"""The tasks resource over HTTP: create, read, update, delete, done and undone, and what
another user's task looks like (nothing). Every test runs under /api and /sync/api
against PostgreSQL and MariaDB (one contract), but for requests refused before any SQL
runs, on Postgres alone (`before_any_sql`)."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.backends import before_any_sql
from testkit.owners import Owner
from testkit.transactions import Sql

if TYPE_CHECKING:
    from .conftest import Stored, TaskFactory

MAX_ID = 2**63 - 1
TASK_FIELDS = ["id", "title", "due_date", "done", "created_at", "updated_at", "done_at"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def assert_task(task: dict[str, Any]) -> None:
    assert list(task) == TASK_FIELDS
    assert type(task["id"]) is int
    assert task["id"] > 0
    assert isinstance(task["title"], str)
    assert task["due_date"] is None or ISO_DATE.fullmatch(task["due_date"])
    assert type(task["done"]) is bool
    for field in ("created_at", "updated_at"):
        assert datetime.fromisoformat(task[field]).utcoffset() == timedelta(0)
    assert (task["done_at"] is not None) == task["done"]
    if task["done_at"] is not None:
        assert datetime.fromisoformat(task["done_at"]).utcoffset() == timedelta(0)


async def get_task(
    client: httpx.AsyncClient, api: str, owner: Owner, task_id: int
) -> dict[str, Any]:
    response = await client.get(f"{api}/tasks/{task_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    assert_task(response.json())
    body: dict[str, Any] = response.json()
    return body


async def unknown_id(sql: Sql) -> int:
    return int(await sql("SELECT coalesce(max(id), 0) FROM tasks")) + 1000


# --- create ---------------------------------------------------------------------------


async def test_create_returns_the_task_and_its_location(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner]
) -> None:
    me = owner_factory()

    response = await client.post(
        f"{api}/tasks",
        json={"title": "Water the plants", "due_date": "2026-12-31"},
        headers=me.headers,
    )

    assert response.status_code == 201, response.text
    task = response.json()
    assert_task(task)
    assert task["title"] == "Water the plants"
    assert task["due_date"] == "2026-12-31"
    assert task["done"] is False
    assert task["done_at"] is None
    assert task["updated_at"] == task["created_at"]
    location = httpx.URL(response.headers["location"])
    assert location.path == f"{api}/tasks/{task['id']}"
    assert await get_task(client, api, me, task["id"]) == task


async def test_create_stores_the_task_for_the_caller(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner], stored: "Stored"
) -> None:
    me = owner_factory()

    response = await client.post(f"{api}/tasks", json={"title": "Call"}, headers=me.headers)

    assert response.status_code == 201, response.text
    row = await stored.task(response.json()["id"])
    assert row is not None
    assert row["owner_id"] == me.id
    assert row["title"] == "Call"


@pytest.mark.parametrize("body", [{"title": "Call"}, {"title": "Call", "due_date": None}])
async def test_create_without_due_date_has_none(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner], body: dict[str, Any]
) -> None:
    response = await client.post(f"{api}/tasks", json=body, headers=owner_factory().headers)

    assert response.status_code == 201, response.text
    assert response.json()["due_date"] is None


async def test_create_strips_the_title(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner]
) -> None:
    response = await client.post(
        f"{api}/tasks", json={"title": " \t Call  the dentist \n"}, headers=owner_factory().headers
    )

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Call  the dentist"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": "A"}, id="title-1-char"),
        pytest.param({"title": "t" * 200}, id="title-200-chars"),
        pytest.param({"title": "  " + "t" * 196 + "  "}, id="title-200-chars-as-sent-stripped"),
        pytest.param({"title": "é" * 200}, id="title-200-accented"),
        pytest.param({"title": "✅" * 200}, id="title-200-symbols"),
        pytest.param({"title": "😀" * 200}, id="title-200-four-byte-chars"),
        pytest.param({"title": "Pay 50% of the_bill 'now' \"today\" \\ ;--"}, id="title-quotes"),
        pytest.param({"title": "T", "due_date": "1970-01-01"}, id="due-1970-01-01"),
        pytest.param({"title": "T", "due_date": "9999-12-31"}, id="due-9999-12-31"),
        pytest.param({"title": "T", "due_date": "2028-02-29"}, id="due-leap-day"),
    ],
)
async def test_create_accepts_boundary_values(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner], body: dict[str, Any]
) -> None:
    me = owner_factory()

    response = await client.post(f"{api}/tasks", json=body, headers=me.headers)

    assert response.status_code == 201, response.text
    task = response.json()
    assert task["title"] == body["title"].strip()
    assert task["due_date"] == body.get("due_date")
    # Read back from the database: the server kept every character and the date.
    assert await get_task(client, api, me, task["id"]) == task


# --- read -----------------------------------------------------------------------------


async def test_get_returns_the_callers_task(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    created = await task_factory(me, title="Renew the passport", due_date="2027-01-15")

    assert await get_task(client, api, me, created["id"]) == created


async def test_get_unknown_task_is_404(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    owner_factory: Callable[[], Owner],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    response = await client.get(
        f"{api}/tasks/{await unknown_id(sql)}", headers=owner_factory().headers
    )

    body = assert_problem(response, 404)
    assert body["title"] == "Task not found"


async def test_get_largest_valid_id_is_404_not_an_error(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    response = await client.get(f"{api}/tasks/{MAX_ID}", headers=owner_factory().headers)

    assert_problem(response, 404)


# --- update ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"title": "Call the plumber"}, {"due_date": "2027-03-01"}],
    ids=["title", "due_date"],
)
async def test_patch_changes_the_given_field_only(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    change: dict[str, Any],
) -> None:
    me = owner_factory()
    task = await task_factory(me, title="Call the dentist", due_date="2026-12-31")

    response = await client.patch(f"{api}/tasks/{task['id']}", json=change, headers=me.headers)

    assert response.status_code == 200, response.text
    patched = response.json()
    assert_task(patched)
    unchanged = {key: value for key, value in patched.items() if key != "updated_at"}
    assert unchanged == {key: value for key, value in task.items() if key != "updated_at"} | change
    assert datetime.fromisoformat(patched["updated_at"]) >= datetime.fromisoformat(
        task["updated_at"]
    )
    assert await get_task(client, api, me, task["id"]) == patched


async def test_patch_both_fields(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, title="Call the dentist")

    response = await client.patch(
        f"{api}/tasks/{task['id']}",
        json={"title": "  Book the dentist ", "due_date": "2027-03-01"},
        headers=me.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Book the dentist"
    assert response.json()["due_date"] == "2027-03-01"


async def test_patch_due_date_null_clears_it(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, due_date="2026-12-31")

    response = await client.patch(
        f"{api}/tasks/{task['id']}", json={"due_date": None}, headers=me.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["due_date"] is None
    assert response.json()["title"] == task["title"]
    assert (await get_task(client, api, me, task["id"]))["due_date"] is None


async def test_patch_with_empty_object_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
) -> None:
    me = owner_factory()
    task = await task_factory(me, due_date="2026-12-31", done=True)
    before = await stored.task(task["id"])

    response = await client.patch(f"{api}/tasks/{task['id']}", json={}, headers=me.headers)

    assert response.status_code == 200, response.text
    assert response.json() == task
    assert await stored.task(task["id"]) == before


async def test_patch_leaves_done_state_alone(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, done=True)

    response = await client.patch(
        f"{api}/tasks/{task['id']}", json={"title": "Renamed"}, headers=me.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["done"] is True
    assert response.json()["done_at"] == task["done_at"]


async def test_patch_unknown_task_is_404_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    owner_factory: Callable[[], Owner],
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    before = await stored.fingerprint()

    response = await client.patch(
        f"{api}/tasks/{await unknown_id(sql)}",
        json={"title": "Ghost"},
        headers=owner_factory().headers,
    )

    assert_problem(response, 404)
    assert await stored.fingerprint() == before


# --- done and undone ------------------------------------------------------------------


async def test_put_done_marks_the_task_done(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, due_date="2026-12-31")

    response = await client.put(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    assert response.status_code == 200, response.text
    done = response.json()
    assert_task(done)
    assert done["done"] is True
    assert done["done_at"] is not None
    assert done["updated_at"] == done["done_at"]
    assert {key: done[key] for key in ("id", "title", "due_date", "created_at")} == {
        key: task[key] for key in ("id", "title", "due_date", "created_at")
    }
    assert await get_task(client, api, me, task["id"]) == done


async def test_second_put_done_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    first = await client.put(f"{api}/tasks/{task['id']}/done", headers=me.headers)
    before = await stored.task(task["id"])

    second = await client.put(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert await stored.task(task["id"]) == before


async def test_delete_done_marks_the_task_open(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, done=True)

    response = await client.delete(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    assert response.status_code == 200, response.text
    undone = response.json()
    assert_task(undone)
    assert undone["done"] is False
    assert undone["done_at"] is None
    assert await get_task(client, api, me, task["id"]) == undone


async def test_second_delete_done_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
) -> None:
    me = owner_factory()
    task = await task_factory(me, done=True)
    first = await client.delete(f"{api}/tasks/{task['id']}/done", headers=me.headers)
    before = await stored.task(task["id"])

    second = await client.delete(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert await stored.task(task["id"]) == before


async def test_delete_done_of_an_open_task_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    before = await stored.task(task["id"])

    response = await client.delete(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    assert response.status_code == 200, response.text
    assert response.json() == task
    assert await stored.task(task["id"]) == before


async def test_done_again_after_undone(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
) -> None:
    me = owner_factory()
    task = await task_factory(me, done=True)
    await client.delete(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    response = await client.put(f"{api}/tasks/{task['id']}/done", headers=me.headers)

    assert response.status_code == 200, response.text
    assert response.json()["done"] is True
    assert response.json()["done_at"] is not None


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_done_of_unknown_task_is_404_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    owner_factory: Callable[[], Owner],
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
) -> None:
    before = await stored.fingerprint()

    response = await client.request(
        method, f"{api}/tasks/{await unknown_id(sql)}/done", headers=owner_factory().headers
    )

    assert_problem(response, 404)
    assert await stored.fingerprint() == before


# --- delete ---------------------------------------------------------------------------


async def test_delete_removes_the_task_only(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    kept = await task_factory(me, title="Keep me")

    response = await client.delete(f"{api}/tasks/{task['id']}", headers=me.headers)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert await stored.task(task["id"]) is None
    assert await get_task(client, api, me, kept["id"]) == kept
    assert_problem(await client.get(f"{api}/tasks/{task['id']}", headers=me.headers), 404)


async def test_delete_twice_is_404(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    assert (await client.delete(f"{api}/tasks/{task['id']}", headers=me.headers)).status_code == 204
    before = await stored.fingerprint()

    response = await client.delete(f"{api}/tasks/{task['id']}", headers=me.headers)

    assert_problem(response, 404)
    assert await stored.fingerprint() == before


# --- another user's task: for every verb, exactly as if it did not exist ---------------

VERBS = {
    "get": ("GET", "", None),
    "patch": ("PATCH", "", {"title": "Hacked", "due_date": None}),
    "patch-empty": ("PATCH", "", {}),
    "delete": ("DELETE", "", None),
    "mark-done": ("PUT", "/done", None),
    "mark-undone": ("DELETE", "/done", None),
}


@pytest.mark.parametrize(("method", "suffix", "body"), VERBS.values(), ids=VERBS.keys())
async def test_another_users_task_is_404_like_a_missing_one(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    alice, mallory = owner_factory(), owner_factory()
    # Done, so that marking it undone would change it.
    task = await task_factory(alice, title="Alice's", due_date="2026-12-31", done=True)
    row, fingerprint = await stored.task(task["id"]), await stored.fingerprint()
    url = f"{api}/tasks/{task['id']}{suffix}"

    foreign = await client.request(method, url, json=body, headers=mallory.headers)

    foreign_body = assert_problem(foreign, 404)
    assert await stored.task(task["id"]) == row
    assert await stored.fingerprint() == fingerprint
    assert await get_task(client, api, alice, task["id"]) == task
    # Once the task is gone for good, the same request gets the very same answer.
    assert (await client.delete(f"{api}/tasks/{task['id']}", headers=alice.headers)).is_success
    missing = await client.request(method, url, json=body, headers=mallory.headers)
    missing_body = assert_problem(missing, 404)
    del foreign_body["request_id"], missing_body["request_id"]
    assert foreign_body == missing_body
    assert foreign.headers.keys() == missing.headers.keys()


# --- routes, methods and health -------------------------------------------------------


@before_any_sql
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "{api}/tasks"),
        ("DELETE", "{api}/tasks"),
        ("PATCH", "{api}/tasks"),
        ("POST", "{api}/tasks/{id}"),
        ("PUT", "{api}/tasks/{id}"),
        ("GET", "{api}/tasks/{id}/done"),
        ("POST", "{api}/tasks/{id}/done"),
        ("PATCH", "{api}/tasks/{id}/done"),
        # A path a route spells out is not a task id: 405, not a 422 about the id.
        ("PATCH", "{api}/tasks/summary"),
        ("DELETE", "{api}/tasks/summary"),
    ],
)
async def test_wrong_method_is_405_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    method: str,
    path: str,
) -> None:
    me = owner_factory()
    task = await task_factory(me)
    before = await stored.fingerprint()

    response = await client.request(
        method,
        path.format(api=api, id=task["id"]),
        json={"title": "Nope", "done": True},
        headers=me.headers,
    )

    assert_problem(response, 405)
    assert await stored.fingerprint() == before


@before_any_sql
@pytest.mark.parametrize("path", ["/nope", "{api}/nope", "{api}/tasks/{id}/undone"])
async def test_unknown_route_is_404_problem(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    path: str,
) -> None:
    me = owner_factory()
    task = await task_factory(me)

    response = await client.get(path.format(api=api, id=task["id"]), headers=me.headers)

    assert_problem(response, 404)


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_database_and_redis_are_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
