"""The Locust entry point: every scenario, the `--mode` and `--accounts` options, and
`--metrics-port`.

    locust -f loadtest/src/loadtest/locustfile.py --host http://127.0.0.1:8080 \\
        --mode sync UsersRead

With no class named, the web UI offers them all (`--class-picker`).
"""

from loadtest import measure, metrics, options  # noqa: F401 - they register options and listeners
from loadtest.scenarios.items_mixed import ItemsMixed
from loadtest.scenarios.items_owners import ItemsOwners
from loadtest.scenarios.jobs import Jobs
from loadtest.scenarios.tasks_crud import TasksCrud
from loadtest.scenarios.users_read import UsersRead

__all__ = ["ItemsMixed", "ItemsOwners", "Jobs", "TasksCrud", "UsersRead"]
