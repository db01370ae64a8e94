"""The statement of the tasks service's list page (tasks_service.repository), for the
MariaDB baselines: one owner's tasks by id, TaskRead's columns in its order.

The owner is the bench data's demo owner (36 tasks; the seed spreads the others' tasks
one or two per owner), fixed: the baselines verify no token, so a service row's ratio to
them includes the service's token check (one Ed25519 verification).
"""

OWNER = 1
QUERY = (
    "SELECT id, title, due_date, done, created_at, updated_at, done_at FROM tasks"
    " WHERE owner_id = %s ORDER BY id LIMIT %s"
)
