import contextlib
import io
import json
import secrets
import socket
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest

from devstack import stack as stack_module
from devstack.databases import database_exists, drop_database, has_rows, with_database
from devstack.gateway import Gateway
from devstack.health import answers_ok
from devstack.ports import free_port
from devstack.probes import ensure_reachable
from devstack.services import SERVICES, Service
from devstack.stack import Stack, StackError
from devstack.supervisor import Supervisor

pytestmark = pytest.mark.timeout(120)

# A stand-in for a service: answers every GET with the settings it was started with.
STANDIN = """
import http.server, json, os, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        names = ("SERVICE_NAME", "DATABASE_URL", "REDIS_URL", "JWT_PUBLIC_KEY", "JWT_PRIVATE_KEY")
        body = json.dumps({"path": self.path, **{n: os.environ.get(n) for n in names}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def standin(name: str = "users", **overrides: Any) -> Service:
    port = free_port()
    fields: dict[str, Any] = {
        "name": name,
        "package": "devstack_standin",
        "port": port,
        "backend": "postgres",
        "database": f"devstack_test_{secrets.token_hex(4)}",
        "signs_tokens": True,
        "argv": ("-c", STANDIN, str(port)),
    }
    return Service(**(fields | overrides))


class MakeStack(Protocol):
    """`make_stack(services, **environ)`: a Stack of these services; closed after the test."""

    def __call__(self, services: tuple[Service, ...], **environ: str) -> Stack: ...


@pytest.fixture
def make_stack(
    tmp_path: Path, postgres_server_url: str, redis_server_url: str
) -> Iterator[MakeStack]:
    created: list[tuple[Stack, contextlib.ExitStack]] = []

    def make(services: tuple[Service, ...], **environ: str) -> Stack:
        exits = contextlib.ExitStack()
        env = {
            "PATH": "/usr/bin:/bin",
            "POSTGRES_URL": postgres_server_url,
            "REDIS_URL": redis_server_url,
            "GATEWAY_PORT": str(free_port()),
            **environ,
        }
        stack = Stack(tmp_path, env, Supervisor(io.StringIO(), grace=2), exits, services)
        created.append((stack, exits))
        return stack

    yield make
    for stack, exits in created:
        exits.close()
        for service in stack.services:
            if service.database:
                drop_database(postgres_server_url, service.database)


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        result: dict[str, Any] = json.loads(response.read())
        return result


def test_the_table_describes_users() -> None:
    users = next(s for s in SERVICES if s.name == "users")
    assert (users.package, users.port, users.backend, users.database) == (
        "users_service",
        8001,
        "postgres",
        "users",
    )
    assert users.database_url_variable == "USERS_DATABASE_URL"
    assert users.health_url == "http://127.0.0.1:8001/healthz"
    assert users.command()[1:] == [
        *("-m", "uvicorn", "users_service.main:app", "--host", "127.0.0.1", "--port", "8001"),
        *("--loop", "uvloop", "--http", "httptools", "--no-server-header"),
    ]


def test_only_the_servers_some_service_needs(make_stack: MakeStack) -> None:
    stack = make_stack((standin(),))
    assert stack.needed_kinds() == ["postgres", "redis"]
    assert make_stack((standin(backend="mysql"),)).needed_kinds() == ["mysql", "redis"]
    overridden = make_stack((standin(),), USERS_DATABASE_URL="mysql://root@127.0.0.1:3306/u")
    assert overridden.needed_kinds() == ["redis"]


def test_a_reachable_server_is_used_as_it_is(
    make_stack: MakeStack, postgres_server_url: str
) -> None:
    stack = make_stack((standin(),))
    assert stack.server_url("postgres") == postgres_server_url
    assert not (stack.data / "postgres").exists()


def test_an_unreachable_server_is_replaced_by_a_throwaway_one(
    make_stack: MakeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    alternate = free_port()
    monkeypatch.setitem(
        stack_module.SERVER_URLS, "redis", ("REDIS_URL", "redis://127.0.0.1:6379/0", alternate)
    )
    stack = make_stack((standin(),), REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    url = stack.server_url("redis")
    assert url == f"redis://127.0.0.1:{alternate}/0"
    assert ensure_reachable(url)
    assert (stack.data / "redis").is_dir()
    stack.exits.close()
    assert not ensure_reachable(url)


def test_busy_ports_fail_before_anything_starts(make_stack: MakeStack) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StackError, match="GATEWAY_PORT"):
            make_stack((standin(),), GATEWAY_PORT=str(port)).check_ports()
        with pytest.raises(StackError, match=f"127.0.0.1:{port}, needed for users"):
            make_stack((standin(port=port),)).check_ports()


def test_services_start_behind_the_gateway(
    make_stack: MakeStack, postgres_server_url: str, redis_server_url: str
) -> None:
    service = standin()
    stack = make_stack((service,))
    stack.check_ports()
    servers = {kind: stack.server_url(kind) for kind in stack.needed_kinds()}
    stack.exits.enter_context(stack.supervisor)
    stack.start_service(service, servers)
    gateway = stack.start_gateway()
    stack.print_urls(gateway)

    assert service.database is not None
    database_url = with_database(postgres_server_url, service.database)
    assert database_exists(postgres_server_url, service.database)
    seen = get_json(f"{gateway.url}/api/users/1")
    assert seen["path"] == "/api/users/1"
    assert seen["SERVICE_NAME"] == "users"
    assert seen["DATABASE_URL"] == database_url
    assert seen["REDIS_URL"] == redis_server_url
    assert seen["JWT_PUBLIC_KEY"].startswith("-----BEGIN PUBLIC KEY-----")
    assert seen["JWT_PRIVATE_KEY"].startswith("-----BEGIN PRIVATE KEY-----")
    assert get_json(f"{gateway.url}/sync/api/users")["path"] == "/sync/api/users"

    output = output_of(stack)
    assert f"users (sync)   {gateway.url}/sync/api/users" in output
    assert f"users docs     {service.base_url}/docs" in output
    assert f"API docs       {gateway.url}/docs" in output
    assert get_json(f"{gateway.url}/openapi.json")["info"]["title"] == "pyservices"

    # A service that dies is reported and started again; the gateway reaches it again.
    stack.supervisor._children[0].process.kill()

    def serving_again() -> bool:
        restarted = "started users again" in output_of(stack)
        return restarted and answers_ok(f"{gateway.url}/api/users/1")

    stack.supervisor.watch(poll=0.05, until=serving_again)
    assert "users exited unexpectedly" in output_of(stack)
    assert get_json(f"{gateway.url}/api/users/1")["path"] == "/api/users/1"


def output_of(stack: Stack) -> str:
    out = stack.supervisor._out
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def test_a_service_database_url_overrides_the_server(
    make_stack: MakeStack, mysql_server_url: str
) -> None:
    service = standin()
    assert service.database is not None
    url = with_database(mysql_server_url, service.database)
    stack = make_stack((service,), USERS_DATABASE_URL=url)
    assert stack.database_url(service, {}) == url
    stack.prepare_database(service, url)
    try:
        assert database_exists(mysql_server_url, service.database)
    finally:
        drop_database(mysql_server_url, service.database)


def test_an_unreachable_override_is_an_error(make_stack: MakeStack) -> None:
    service = standin()
    url = f"mysql://root@127.0.0.1:{free_port()}/users"
    with pytest.raises(StackError, match=r"USERS_DATABASE_URL=.*nothing answers"):
        make_stack((service,), USERS_DATABASE_URL=url).database_url(service, {})


def _write_migrations(root: Path) -> str:
    """An alembic setup whose env.py only records the URL it was given."""
    folder = root / "services" / "standin"
    (folder / "migrations" / "versions").mkdir(parents=True)
    (folder / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (folder / "migrations" / "env.py").write_text(
        textwrap.dedent(
            """
            import os, pathlib
            pathlib.Path(os.environ["MIGRATED_MARKER"]).write_text(os.environ["DATABASE_URL"])
            """
        )
    )
    return "services/standin/alembic.ini"


def _write_seed_package(folder: Path) -> None:
    package = folder / "devstack_standin"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "seed.py").write_text(
        textwrap.dedent(
            """
            import os, sys, psycopg
            with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
                connection.execute("INSERT INTO things VALUES (1)")
            print("demo login: demo@example.com / demo-password", sys.argv[1:])
            """
        )
    )


def test_migrations_run_with_the_service_database_url(
    make_stack: MakeStack, tmp_path: Path, postgres_server_url: str
) -> None:
    marker = tmp_path / "migrated"
    service = standin(alembic_ini=_write_migrations(tmp_path))
    stack = make_stack((service,), MIGRATED_MARKER=str(marker))
    assert service.database is not None
    url = with_database(postgres_server_url, service.database)
    stack.migrate(service, {**stack.environ, "DATABASE_URL": url})
    assert marker.read_text() == url


def test_missing_migrations_are_named(make_stack: MakeStack) -> None:
    service = standin(alembic_ini="services/nowhere/alembic.ini")
    with pytest.raises(StackError, match=r"services/nowhere/alembic\.ini does not exist"):
        make_stack((service,)).migrate(service, {})


def test_seeds_an_empty_table_once_and_passes_its_output_through(
    make_stack: MakeStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server_url: str
) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    _write_seed_package(modules)
    monkeypatch.syspath_prepend(str(modules))
    service = standin(seed_table="things", seed_args=("--count", "3"))
    stack = make_stack((service,), PYTHONPATH=str(modules))
    assert service.database is not None
    url = with_database(postgres_server_url, service.database)
    stack.prepare_database(service, url)
    env = {**stack.environ, "DATABASE_URL": url, "PYTHONPATH": str(modules)}
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE things (id integer)")
    try:
        stack.seed(service, env, url)
        stack.seed(service, env, url)
    finally:
        sys.modules.pop("devstack_standin", None)  # imported by the runner's module lookup
    assert has_rows(url, "things")
    output = output_of(stack)
    assert output.count("demo login: demo@example.com / demo-password ['--count', '3']") == 1
    assert "things has data already, not seeding" in output


def test_a_missing_seed_module_skips_the_demo_data(make_stack: MakeStack) -> None:
    service = standin(package="devstack_nothing_here", seed_table="things")
    stack = make_stack((service,))
    stack.seed(service, {}, "postgresql://unused/db")
    assert "no devstack_nothing_here.seed module" in output_of(stack)


def test_gateway_port_must_be_a_port(make_stack: MakeStack) -> None:
    with pytest.raises(StackError, match="GATEWAY_PORT"):
        make_stack((standin(),), GATEWAY_PORT="http").gateway_port()


@pytest.mark.parametrize("interval", ["soon", "0", "-1"])
def test_the_scrape_interval_must_be_seconds(make_stack: MakeStack, interval: str) -> None:
    stack = make_stack((standin(),), PROMETHEUS_SCRAPE_INTERVAL=interval)
    with pytest.raises(StackError, match="PROMETHEUS_SCRAPE_INTERVAL"):
        stack.start_prometheus()


def test_entry_point_help() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "devstack", "run", "--help"], capture_output=True, text=True
    )
    assert shown.returncode == 0
    assert "USERS_DATABASE_URL" in shown.stdout


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "600/minute"), ({"LOGIN_ATTEMPTS_PER_ADDRESS": "5/minute"}, "5/minute")],
)
def test_a_local_run_allows_its_one_address_more_logins(
    make_stack: MakeStack, environ: dict[str, Any], expected: str
) -> None:
    users = next(s for s in SERVICES if s.name == "users")
    stack = make_stack((users,), **environ)

    env = stack.service_env(users, "postgresql://nowhere/users", "redis://nowhere")

    assert env["LOGIN_ATTEMPTS_PER_ADDRESS"] == expected
    assert "LOGIN_FAILURES_PER_ACCOUNT" not in env  # as in production


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("true", stack_module.DEV_FAULT_ADMIN_TOKEN)),
        ({"FAULTS_ENABLED": "false"}, ("false", stack_module.DEV_FAULT_ADMIN_TOKEN)),
        ({"FAULT_ADMIN_TOKEN": "my-own-token-of-length"}, ("true", "my-own-token-of-length")),
    ],
)
def test_local_services_have_their_fault_switch_on(
    make_stack: MakeStack, environ: dict[str, Any], expected: tuple[str, str]
) -> None:
    users = next(s for s in SERVICES if s.name == "users")
    stack = make_stack((users,), **environ)

    env = stack.service_env(users, "postgresql://nowhere/users", "redis://nowhere")

    assert (env["FAULTS_ENABLED"], env["FAULT_ADMIN_TOKEN"]) == expected
    assert len(stack_module.DEV_FAULT_ADMIN_TOKEN) >= 16  # what the services require


def test_the_worker_has_no_fault_switch(make_stack: MakeStack) -> None:
    worker = next(s for s in SERVICES if s.name == "worker")

    env = make_stack((worker,)).service_env(worker, "", "redis://nowhere")

    assert "FAULTS_ENABLED" not in env


def test_the_urls_say_how_to_switch_a_fault(make_stack: MakeStack, tmp_path: Path) -> None:
    stack = make_stack((standin(port=8001),))

    stack.print_urls(Gateway(tmp_path / "gateway", "127.0.0.1:8080", {}))

    output = "\n".join(json.loads(line)["message"] for line in output_of(stack).splitlines())
    assert (
        f"curl -X PUT -H 'Authorization: Bearer {stack_module.DEV_FAULT_ADMIN_TOKEN}' "
        """-d '{"latency_ms":100}' http://127.0.0.1:8001/admin/fault"""
    ) in output


@pytest.mark.parametrize("chosen", [None, "console", "json"])
def test_children_write_json_lines_which_the_runner_shows_as_chosen(
    make_stack: MakeStack, chosen: str | None
) -> None:
    environ = {} if chosen is None else {"LOG_FORMAT": chosen}
    worker = next(s for s in SERVICES if s.name == "worker")

    env = make_stack((worker,), **environ).service_env(worker, "", "redis://nowhere")

    assert env["LOG_FORMAT"] == "json"


def test_an_unknown_log_format_stops_make_run_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert stack_module.run({"LOG_FORMAT": "yaml"}, io.StringIO()) == 1
    assert "LOG_FORMAT must be one of auto, json, console" in capsys.readouterr().err
