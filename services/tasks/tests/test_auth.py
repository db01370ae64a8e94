"""Every tasks route needs a valid token of the users service; tasks holds only the
public key. A missing, expired or forged token is a 401 problem on every route, and
writes nothing. Tokens are checked before any SQL runs: on Postgres alone."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from testkit.backends import before_any_sql
from testkit.forgeries import A_FEW_FORGERIES
from testkit.keys import MintToken
from testkit.owners import Owner

if TYPE_CHECKING:
    from .conftest import Stored, TaskFactory

pytestmark = before_any_sql

# Every route, with a body that would be valid: only the token is wrong.
ROUTES = [
    ("POST", "{api}/tasks", {"title": "Injected"}),
    ("GET", "{api}/tasks", None),
    ("GET", "{api}/tasks/{id}", None),
    ("PATCH", "{api}/tasks/{id}", {"title": "Hacked", "due_date": None}),
    ("PUT", "{api}/tasks/{id}/done", None),
    ("DELETE", "{api}/tasks/{id}/done", None),
    ("DELETE", "{api}/tasks/{id}", None),
]


# Every forgery: servicekit's test_tokens (`CurrentUser`).
@pytest.mark.parametrize("kind", A_FEW_FORGERIES)
async def test_bad_token_is_401_on_every_route_and_writes_nothing(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    task_factory: "TaskFactory",
    stored: "Stored",
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    forge_token: Callable[..., str | None],
    kind: str,
) -> None:
    victim, attacker = owner_factory(), owner_factory()
    open_task = await task_factory(victim, title="Open one", due_date="2026-12-31")
    done_task = await task_factory(victim, title="Done one", done=True)
    rows = {task["id"]: await stored.task(task["id"]) for task in (open_task, done_task)}
    fingerprint = await stored.fingerprint()
    forged = forge_token(kind, victim.id, attacker_token=attacker.token)
    headers = {} if forged is None else {"Authorization": forged}

    for task in (open_task, done_task):
        for method, path, body in ROUTES:
            url = path.format(api=api, id=task["id"])
            response = await client.request(method, url, json=body, headers=headers)
            problem = assert_problem(response, 401)
            assert "items" not in problem
            assert task["title"] not in response.text

    assert {task_id: await stored.task(task_id) for task_id in rows} == rows
    assert await stored.fingerprint() == fingerprint
    # The same victim, properly signed, is served: the rejection was the forgery's.
    genuine = await client.get(f"{api}/tasks", headers=victim.headers)
    assert [task["id"] for task in genuine.json()["items"]] == [open_task["id"], done_task["id"]]


async def test_401_comes_before_validation(
    client: httpx.AsyncClient,
    api: str,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    """Without a token nothing about the request is looked at, not even its body."""
    response = await client.post(f"{api}/tasks", json={"title": "", "done": True})

    assert_problem(response, 401)


async def test_tasks_trusts_any_subject_the_users_service_signed(
    client: httpx.AsyncClient, api: str, mint_token: MintToken, stored: "Stored"
) -> None:
    """tasks never calls users: a validly signed subject is a user, even one it never saw."""
    subject = 2**63 - 1
    headers = {"Authorization": f"Bearer {mint_token(str(subject))}"}

    response = await client.post(f"{api}/tasks", json={"title": "Mine"}, headers=headers)

    assert response.status_code == 201, response.text
    row = await stored.task(response.json()["id"])
    assert row is not None
    assert row["owner_id"] == subject
