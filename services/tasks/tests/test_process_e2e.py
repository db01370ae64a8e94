"""The tasks story against a real uvicorn process (uvloop, httptools), on each database,
in both modes: create, done, undone, delete."""

import httpx
import pytest

from testkit.apps import MODES
from testkit.assertions import assert_problem
from testkit.keys import MintToken
from testkit.processes import SpawnUvicorn

pytestmark = pytest.mark.e2e


@pytest.fixture
def tasks_url(spawn_uvicorn: SpawnUvicorn, fresh_database_url: str) -> str:
    return spawn_uvicorn("tasks_service.main:app", DATABASE_URL=fresh_database_url)


@pytest.mark.parametrize("mode", list(MODES))
def test_the_tasks_story_against_a_real_process(
    tasks_url: str, mint_token: MintToken, mode: str
) -> None:
    api = MODES[mode]
    auth = {"Authorization": f"Bearer {mint_token('42')}"}
    stranger = {"Authorization": f"Bearer {mint_token('43')}"}
    with httpx.Client(base_url=tasks_url, timeout=10) as client:
        assert client.get("/readyz").status_code == 200
        assert_problem(client.get(f"{api}/tasks"), 401)

        created = client.post(
            f"{api}/tasks",
            json={"title": "Ship the release", "due_date": "2026-12-31"},
            headers=auth,
        )
        assert created.status_code == 201, created.text
        task = created.json()
        assert created.headers["location"] == f"{api}/tasks/{task['id']}"
        assert (task["done"], task["done_at"], task["due_date"]) == (False, None, "2026-12-31")
        path = f"{api}/tasks/{task['id']}"
        assert_problem(client.get(path, headers=stranger), 404)

        done = client.put(f"{path}/done", headers=auth)
        assert done.status_code == 200, done.text
        assert done.json()["done"] is True
        assert client.put(f"{path}/done", headers=auth).json() == done.json()
        listed = client.get(f"{api}/tasks", params={"done": "true"}, headers=auth).json()
        assert listed == {"items": [done.json()], "next_cursor": None}

        undone = client.delete(f"{path}/done", headers=auth)
        assert undone.status_code == 200, undone.text
        assert (undone.json()["done"], undone.json()["done_at"]) == (False, None)
        assert client.get(path, headers=auth).json() == undone.json()

        deleted = client.delete(path, headers=auth)
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert_problem(client.get(path, headers=auth), 404)
        assert client.get(f"{api}/tasks", headers=auth).json() == {
            "items": [],
            "next_cursor": None,
        }


@pytest.mark.parametrize("mode", list(MODES))
def test_head_and_options_against_a_real_process(
    tasks_url: str, mint_token: MintToken, mode: str
) -> None:
    api = MODES[mode]
    auth = {"Authorization": f"Bearer {mint_token('44')}"}
    with httpx.Client(base_url=tasks_url, timeout=10, headers=auth) as client:
        task = client.post(f"{api}/tasks", json={"title": "Read the manual"}).json()
        path = f"{api}/tasks/{task['id']}"

        got, head = client.get(path), client.head(path)
        options = client.options(path)
        summary = client.patch(f"{api}/tasks/summary", json={"title": "Nope"})

        assert head.status_code == got.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"]
        assert options.status_code == 204
        assert options.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
        assert_problem(summary, 405)
        assert summary.headers["allow"] == "GET, HEAD, OPTIONS"
        # The connection still serves requests: the bodiless answers framed it right.
        assert client.get(path).json() == got.json()
