"""`python -m items_service.seed`: bulk items for owners 1..M, the demo account's few
dozen among them, on each database."""

import subprocess
import sys

from sqlalchemy import create_engine, func, select

from items_service.models import Item
from items_service.seed import DEMO_ITEMS
from servicekit.db.engines import sync_url


def seed(database_url: str, *args: str) -> str:
    command = [sys.executable, "-m", "items_service.seed", *args]
    done = subprocess.run(
        command, env={"DATABASE_URL": database_url}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_seed_adds_items_for_the_owners(fresh_database_url: str) -> None:
    summary = seed(fresh_database_url, "--count", "500", "--owners", "20")

    assert len(summary.splitlines()) == 1
    assert summary.startswith("seeded 500 items for owners 1..20 in ")
    engine = create_engine(sync_url(fresh_database_url))
    with engine.connect() as connection:
        per_owner = dict(
            connection.execute(select(Item.owner_id, func.count()).group_by(Item.owner_id)).all()
        )
        lowest_views = connection.execute(select(func.min(Item.views))).scalar_one()
        shortest_title = connection.execute(select(func.min(func.length(Item.title)))).scalar_one()
    engine.dispose()
    assert sum(per_owner.values()) == 500
    assert per_owner[1] == DEMO_ITEMS
    assert set(per_owner) <= set(range(1, 21))
    assert len(per_owner) > 10
    assert lowest_views >= 0
    assert shortest_title > 0


def test_seed_adds_to_what_is_there(fresh_database_url: str) -> None:
    seed(fresh_database_url, "--count", "10", "--owners", "1")

    summary = seed(fresh_database_url, "--count", "30", "--owners", "1")

    assert "(40 in all)" in summary


def test_if_empty_seeds_an_empty_table_once(fresh_database_url: str) -> None:
    first = seed(fresh_database_url, "--count", "10", "--owners", "1", "--if-empty")
    second = seed(fresh_database_url, "--count", "10", "--owners", "1", "--if-empty")

    assert "(10 in all)" in first
    assert second.strip() == "items has rows already: nothing seeded"


def test_seed_rejects_bad_arguments(fresh_database_url: str) -> None:
    for args in (["--count", "-1"], ["--owners", "0"]):
        command = [sys.executable, "-m", "items_service.seed", *args]
        env = {"DATABASE_URL": fresh_database_url}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 2, done.stderr
