"""The Locust entry point: every scenario, the `--mode` and `--accounts` options,
`--metrics-port`, and in the web UI the fault panel and one scenario ticked by default.

    locust -f loadtest/src/loadtest/locustfile.py --host http://127.0.0.1:8080 \\
        --mode both UsersRead

The web UI (`--class-picker`) offers every scenario and ticks UsersRead, or the ones
named on the command line.
"""

# They register options and listeners.
from loadtest import fault_panel, measure, metrics, options, picker  # noqa: F401
from loadtest.scenarios.items_mixed import ItemsMixed
from loadtest.scenarios.items_owners import ItemsOwners
from loadtest.scenarios.jobs import Jobs
from loadtest.scenarios.tasks_crud import TasksCrud
from loadtest.scenarios.users_read import UsersRead

__all__ = ["ItemsMixed", "ItemsOwners", "Jobs", "TasksCrud", "UsersRead"]
