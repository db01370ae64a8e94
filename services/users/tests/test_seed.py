"""`python -m users_service.seed`: the demo account and N seeded accounts, and
`--if-empty` for a seed Job that runs on every upgrade."""

import secrets
import subprocess
import sys

from sqlalchemy import create_engine, text

from devstack.databases import create_database, drop_database, with_database
from servicekit.db.engines import sync_url


def seed(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "users_service.seed", *args]
    env = {"DATABASE_URL": database_url}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def count_users(database_url: str) -> int:
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        total: int = connection.execute(text("SELECT count(*) FROM users")).scalar_one()
    engine.dispose()
    return total


def test_if_empty_seeds_an_empty_table_once(fresh_database_url: str) -> None:
    first = seed(fresh_database_url, "--count", "5", "--if-empty")
    second = seed(fresh_database_url, "--count", "5", "--if-empty")

    assert first.returncode == 0, first.stderr
    assert "demo login: demo@example.com" in first.stderr
    assert second.returncode == 0, second.stderr
    assert second.stderr.strip() == "users has rows already: nothing seeded"
    assert count_users(fresh_database_url) == 6  # the demo account and five seeded ones


def test_without_if_empty_a_seed_adds_to_what_is_there(fresh_database_url: str) -> None:
    assert seed(fresh_database_url, "--count", "3").returncode == 0

    assert seed(fresh_database_url, "--count", "3").returncode == 0

    assert count_users(fresh_database_url) == 7


def test_a_database_never_migrated_is_one_line_saying_what_to_run_first(
    server_urls: dict[str, str],
) -> None:
    name = f"users_unmigrated_{secrets.token_hex(3)}"
    url = with_database(server_urls["postgres"], name)
    create_database(url, name)
    try:
        done = seed(url, "--count", "3")
    finally:
        drop_database(url, name)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "no users table; `make run` migrates it" in done.stderr


def test_a_database_that_does_not_exist_is_one_line_naming_it(server_urls: dict[str, str]) -> None:
    url = with_database(server_urls["postgres"], f"users_missing_{secrets.token_hex(3)}")

    done = seed(url, "--count", "3")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "does not exist" in done.stderr
