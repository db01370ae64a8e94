"""`python -m tasks_service.seed`: demo tasks that the API serves like any other."""

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from servicekit.db.engines import sync_url
from tasks_service.schemas import TaskCreate
from tasks_service.seed import DEMO_TASKS, main
from testkit.apps import MODES
from testkit.keys import MintToken


def scalars(database_url: str, statement: str) -> list[Any]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(statement)).scalars())
    finally:
        engine.dispose()


def run_seed(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    *args: str,
) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    main(list(args))
    summary = capsys.readouterr().err
    assert summary.count("\n") == 1
    return summary


def test_seed_spreads_tasks_over_the_owners(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fresh_database_url: str
) -> None:
    summary = run_seed(monkeypatch, capsys, fresh_database_url, "--count", "2000", "--owners", "5")

    assert "2000 tasks" in summary
    owners = scalars(fresh_database_url, "SELECT owner_id FROM tasks ORDER BY id")
    assert len(owners) == 2000
    assert owners.count(1) == DEMO_TASKS
    assert set(owners) == {1, 2, 3, 4, 5}
    done = scalars(fresh_database_url, "SELECT count(*) FROM tasks WHERE done")[0]
    assert 0 < done < 2000
    due = scalars(fresh_database_url, "SELECT count(*) FROM tasks WHERE due_date IS NOT NULL")[0]
    assert 0 < due < 2000
    inconsistent = "SELECT count(*) FROM tasks WHERE done <> (done_at IS NOT NULL)"
    assert scalars(fresh_database_url, inconsistent) == [0]


def test_seed_adds_to_what_is_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fresh_database_url: str
) -> None:
    run_seed(monkeypatch, capsys, fresh_database_url, "--count", "10", "--owners", "3")

    summary = run_seed(monkeypatch, capsys, fresh_database_url, "--count", "10", "--owners", "3")

    assert "(20 in all)" in summary
    assert scalars(fresh_database_url, "SELECT count(*) FROM tasks") == [20]


def test_if_empty_seeds_an_empty_table_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fresh_database_url: str
) -> None:
    seeding = ("--count", "10", "--owners", "3", "--if-empty")
    run_seed(monkeypatch, capsys, fresh_database_url, *seeding)

    summary = run_seed(monkeypatch, capsys, fresh_database_url, *seeding)

    assert summary == "tasks has rows already: nothing seeded\n"
    assert scalars(fresh_database_url, "SELECT count(*) FROM tasks") == [10]


@pytest.mark.parametrize(
    ("args", "demo_owner", "demo_count", "others"),
    [
        (("--count", "50", "--owners", "1"), 1, 50, set()),
        (("--count", "10", "--owners", "4"), 1, 10, set()),
        (("--count", "100", "--owners", "3", "--demo-owner", "1001"), 1001, DEMO_TASKS, {1, 2, 3}),
        (("--count", "0", "--owners", "3"), 1, 0, set()),
    ],
    ids=["one-owner", "fewer-than-a-few-dozen", "demo-owner-elsewhere", "nothing"],
)
def test_seed_gives_the_demo_owner_a_few_dozen(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fresh_database_url: str,
    args: tuple[str, ...],
    demo_owner: int,
    demo_count: int,
    others: set[int],
) -> None:
    run_seed(monkeypatch, capsys, fresh_database_url, *args)

    owners = scalars(fresh_database_url, "SELECT owner_id FROM tasks")
    assert owners.count(demo_owner) == demo_count
    assert set(owners) - {demo_owner} == others


@pytest.mark.parametrize("args", [["--count", "-1"], ["--owners", "0"], ["--demo-owner", "0"]])
def test_seed_refuses_nonsense(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)

    assert exited.value.code == 2


async def test_seeded_tasks_are_served_like_any_other(
    fresh_database_url: str,
    app_factory: Callable[[str, str], FastAPI],
    redis_url: str,
    mint_token: MintToken,
) -> None:
    # The command itself, as `make run` starts it. (Not `main` under capsys: the app's
    # logging would keep writing to capsys's stream after it is closed.)
    seed = [sys.executable, "-m", "tasks_service.seed", "--count", "300", "--owners", "3"]
    finished = subprocess.run(
        seed, env=os.environ | {"DATABASE_URL": fresh_database_url}, capture_output=True, check=True
    )
    assert finished.stderr.decode().startswith("seeded 300 tasks")
    headers = {"Authorization": f"Bearer {mint_token('1')}"}
    app = app_factory(fresh_database_url, redis_url)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            pages = {
                mode: (await client.get(f"{api}/tasks", headers=headers)).json()
                for mode, api in MODES.items()
            }

    assert pages["async"] == pages["sync"]
    items = pages["async"]["items"]
    assert len(items) == DEMO_TASKS
    for task in items:
        # Every seeded title is one the API itself would take.
        assert TaskCreate(title=task["title"], due_date=task["due_date"]).title == task["title"]
        assert (task["done_at"] is not None) == task["done"]
