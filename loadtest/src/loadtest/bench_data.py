"""The bench data: `<service>_bench` databases, the same rows on every server (the seeds
take fixed random seeds), that `make bench` and `make bench-ceiling` measure on.

Each benchmark seeds what it needs when it is missing, saying so in one line first, so
a fresh clone needs no `make seed-bench` beforehand; a later run finds the data and
starts at once. BENCH_USERS (default 100,000; two items and one task per user) scales
the data, for tests. A server that does not answer stops the run with one line.
"""

import contextlib
import dataclasses
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import psycopg
import pymysql
from sqlalchemy.engine import URL, make_url

from devstack.databases import database_exists, has_rows, with_database
from devstack.layout import repo_root
from devstack.ports import free_port
from devstack.probes import ensure_reachable, kind_of
from devstack.services import SERVICES, Service, relocated
from devstack.stack import SERVER_URLS, Stack
from devstack.supervisor import Supervisor

BENCH_SUFFIX = "_bench"
DEFAULT_BENCH_USERS = 100_000


def bench_users() -> int:
    value = os.environ.get("BENCH_USERS", str(DEFAULT_BENCH_USERS))
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"BENCH_USERS must be a positive number of users, got {value!r}")
    return int(value)


def bench_seeds(users: int) -> dict[str, tuple[str, ...]]:
    """Each service's seed arguments for `users` users; items and tasks belong to them."""
    owners = str(users + 1)  # the seeded users and the demo account
    return {
        "users": ("--count", str(users)),
        "items": ("--count", str(2 * users), "--owners", owners),
        "tasks": ("--count", str(users), "--owners", owners),
    }


def bench_services(backend: str | None, users: int | None = None) -> tuple[Service, ...]:
    """The services on free ports, every database `<name>_bench` (on `backend` if given)."""
    seeds = bench_seeds(users or bench_users())
    services = relocated(
        SERVICES, iter(free_port, None), database_suffix=BENCH_SUFFIX, backend=backend
    )
    return tuple(
        dataclasses.replace(s, seed_args=seeds[s.name]) if s.name in seeds else s for s in services
    )


def configured_server(backend: str) -> str:
    """The server URL `make run` and the bench use for `backend` (POSTGRES_URL, ...)."""
    variable, default, _port = SERVER_URLS[backend]
    return os.environ.get(variable, default)


def bench_database_urls(server_url: str) -> dict[str, str]:
    """Service name -> its bench database on the server at `server_url`."""
    return {
        s.name: with_database(server_url, f"{s.database}{BENCH_SUFFIX}")
        for s in SERVICES
        if s.database is not None
    }


def _server_of(url: str) -> str:
    """The URL of the server alone, without a database."""
    parts = make_url(url)
    server = URL.create(parts.drivername, parts.username, parts.password, parts.host, parts.port)
    return server.render_as_string(hide_password=False)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _nothing_answers(url: str) -> str:
    variable, _default, own_port = SERVER_URLS[kind_of(url)]
    return (
        f"nothing answers at {_shown(_server_of(url))}: start the server there or set "
        f"{variable} (`make run`, finding none, starts its own on port {own_port})"
    )


def holds_data(url: str, table: str) -> bool:
    """Whether the database at `url` exists and `table` in it has a row."""
    name = make_url(url).database
    if not name or not database_exists(url, name):
        return False
    try:
        return has_rows(url, table)
    except (psycopg.errors.UndefinedTable, pymysql.err.ProgrammingError):
        return False  # created, never migrated


def ensure_bench_data(database_urls: Mapping[str, str], out: TextIO = sys.stderr) -> None:
    """Creates, migrates and seeds each database of `database_urls` (service name -> URL)
    that holds no bench data yet, saying so first; stops with one line when its server
    does not answer."""
    services = {s.name: s for s in bench_services(None)}
    for url in database_urls.values():
        if not ensure_reachable(_server_of(url)):
            raise SystemExit(_nothing_answers(url))
    missing = {
        name: url
        for name, url in database_urls.items()
        if not holds_data(url, services[name].seed_table or name)
    }
    if not missing:
        return
    shown = ", ".join(_shown(url) for url in missing.values())
    print(
        f"seeding the bench data ({bench_users():,} users, their items and tasks) into "
        f"{shown}: a minute or two, once; later runs reuse it",
        file=out,
        flush=True,
    )
    with contextlib.ExitStack() as exits:
        data = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="bench-data-")))
        chosen = tuple(services[name] for name in missing)
        stack = Stack(repo_root(), dict(os.environ), Supervisor(out), exits, chosen, data=data)
        exits.enter_context(stack.supervisor)
        redis_url = configured_server("redis")  # in the seeds' settings, never used by them
        for name, url in missing.items():
            service = services[name]
            stack.prepare_database(service, url)
            env = stack.service_env(service, url, redis_url)
            stack.migrate(service, env)
            stack.seed(service, env, url)
