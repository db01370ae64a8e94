"""`python -m users_service.seed`: the demo account and N seeded accounts, and
`--if-empty` for a seed Job that runs on every upgrade."""

import subprocess
import sys

from sqlalchemy import create_engine, text

from servicekit.db import sync_url


def seed(database_url: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "users_service.seed", *args]
    env = {"DATABASE_URL": database_url}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def count_users(database_url: str) -> int:
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM users")).scalar_one()
    engine.dispose()
    return total


def test_if_empty_seeds_an_empty_table_once(fresh_database_url):
    first = seed(fresh_database_url, "--count", "5", "--if-empty")
    second = seed(fresh_database_url, "--count", "5", "--if-empty")

    assert first.returncode == 0, first.stderr
    assert "demo login: demo@example.com" in first.stderr
    assert second.returncode == 0, second.stderr
    assert second.stderr.strip() == "users has rows already: nothing seeded"
    assert count_users(fresh_database_url) == 6  # the demo account and five seeded ones


def test_without_if_empty_a_seed_adds_to_what_is_there(fresh_database_url):
    assert seed(fresh_database_url, "--count", "3").returncode == 0

    assert seed(fresh_database_url, "--count", "3").returncode == 0

    assert count_users(fresh_database_url) == 7
