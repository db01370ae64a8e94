"""The database servers a service's tests run on.

Behaviour that depends on the database runs on both Postgres and MariaDB; input refused
before any SQL runs (validation, authentication, routing) is tested once, on Postgres:
the second server would run the same code to the same refusal (DESIGN.md, Tests).
"""

import pytest

BACKENDS = ["postgres", "mysql"]


def only_on(backend: str) -> pytest.MarkDecorator:
    """Runs a test (or, as `pytestmark`, a module's tests) on one backend alone."""
    return pytest.mark.parametrize("database_backend", [backend], indirect=True)


# For a test, or a module's `pytestmark`, whose rule holds before any SQL runs. Postgres
# rather than MariaDB: it refuses what MariaDB would store (a NUL in a text, say), so a
# check that let such input through would show as a 500 there, not pass unseen.
before_any_sql = only_on("postgres")
