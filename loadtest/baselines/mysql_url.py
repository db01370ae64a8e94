"""The connection arguments of a mysql:// DATABASE_URL, for the MariaDB baselines."""

import os

from sqlalchemy.engine import make_url


def connect_args() -> dict:
    url = make_url(os.environ["DATABASE_URL"])
    return {
        "host": url.host or "127.0.0.1",
        "port": url.port or 3306,
        "user": url.username or "root",
        "password": url.password or "",
        "database": url.database,
        # The services' charset (servicekit.db.engines), and one SELECT per request without
        # BEGIN/COMMIT: the least a read can cost.
        "charset": "utf8mb4",
        "autocommit": True,
    }
