"""`python -m servicekit.db.migrate`, as the chart's migration Job runs it from the image:
a role and a database of the service's own made through an admin URL, the schema to
head, idempotent, and one line when it cannot work."""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from devstack.ports import free_port
from servicekit.db.engines import is_postgres, sync_url

USERS_DIR = Path(__file__).parents[1]


def run_migrate(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run(
        [sys.executable, "-m", "servicekit.db.migrate"],
        cwd=USERS_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def own_role_url(database_backend: str, server_urls: dict[str, str]) -> Iterator[str]:
    """The URL of a database and a role that do not exist yet; both dropped afterwards."""
    admin = server_urls[database_backend]
    name = f"mig_{os.getpid()}_{secrets.token_hex(3)}"
    url = make_url(admin).set(username=name, password=secrets.token_urlsafe(12), database=name)
    yield url.render_as_string(hide_password=False)
    engine = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if is_postgres(admin):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        else:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            connection.execute(text(f"DROP USER IF EXISTS '{name}'@'%'"))
    engine.dispose()


def test_an_admin_url_makes_the_services_role_and_database_then_migrates(
    own_role_url: str, database_backend: str, server_urls: dict[str, str]
) -> None:
    admin = server_urls[database_backend]

    first = run_migrate(DATABASE_URL=own_role_url, DATABASE_ADMIN_URL=admin)
    again = run_migrate(DATABASE_URL=own_role_url, DATABASE_ADMIN_URL=admin)

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    engine = create_engine(sync_url(own_role_url))  # as the service's own role
    with engine.connect() as connection:
        assert "users" in inspect(connection).get_table_names()
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version


def test_a_changed_password_is_brought_in_line(
    own_role_url: str, database_backend: str, server_urls: dict[str, str]
) -> None:
    admin = server_urls[database_backend]
    assert run_migrate(DATABASE_URL=own_role_url, DATABASE_ADMIN_URL=admin).returncode == 0
    rotated = make_url(own_role_url).set(password="rotated-" + secrets.token_hex(4))
    rotated_url = rotated.render_as_string(hide_password=False)

    done = run_migrate(DATABASE_URL=rotated_url, DATABASE_ADMIN_URL=admin)

    assert done.returncode == 0, done.stderr
    engine = create_engine(sync_url(rotated_url))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_without_an_admin_url_a_missing_role_fails_at_once_in_one_line(own_role_url: str) -> None:
    done = run_migrate(DATABASE_URL=own_role_url)

    assert done.returncode == 1
    assert done.stderr.startswith("migration failed: the database refused mig_")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_server_that_does_not_answer_fails_after_the_wait(own_role_url: str) -> None:
    nowhere = make_url(own_role_url).set(host="127.0.0.1", port=free_port())

    done = run_migrate(
        DATABASE_URL=nowhere.render_as_string(hide_password=False), MIGRATE_WAIT_SECONDS="1"
    )

    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("migration failed: no database server answered at 127.0.0.1")
    )
    assert "Traceback" not in done.stderr


def test_without_a_database_url_it_says_so(own_role_url: str) -> None:
    done = run_migrate()

    assert done.returncode == 1
    assert done.stderr.strip() == "MigrationSettings: missing DATABASE_URL"


@pytest.mark.parametrize("database_backend", ["postgres"], indirect=True)
def test_the_admin_urls_sslmode_reaches_the_admin_connection(
    own_role_url: str, server_urls: dict[str, str]
) -> None:
    """An external server's admin URL asks for TLS: the role and database are made over
    TLS or not at all. (The test server has none, so require must be refused.)"""
    admin = f"{server_urls['postgres']}?sslmode=require"

    done = run_migrate(
        DATABASE_URL=own_role_url, DATABASE_ADMIN_URL=admin, MIGRATE_WAIT_SECONDS="20"
    )

    assert done.returncode != 0
    assert "does not support SSL" in done.stderr
