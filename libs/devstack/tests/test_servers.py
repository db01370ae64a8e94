import contextlib
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import psycopg
import pymysql
import pytest
import redis

from devstack.ports import accepts_connections, free_port
from devstack.probes import ensure_reachable
from devstack.processes import spawn, terminate
from devstack.servers import (
    LocalServer,
    MariaDBServer,
    PostgresServer,
    RedisServer,
    ServerError,
    kept_server,
    relocated_postgres_datadir,
)

pytestmark = pytest.mark.timeout(120)


def _postgres_write(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (value text)")
        connection.execute("INSERT INTO kept VALUES ('still here')")


def _postgres_read(url: str) -> str:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT value FROM kept").fetchone()
    assert row is not None
    value: str = row[0]
    return value


def _mysql_connection(url: str) -> pymysql.Connection:
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    return pymysql.connect(host="127.0.0.1", port=port, user="root", autocommit=True)


def _mysql_write(url: str) -> None:
    with contextlib.closing(_mysql_connection(url)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE DATABASE kept")
        cursor.execute("CREATE TABLE kept.kept (value text)")
        cursor.execute("INSERT INTO kept.kept VALUES ('still here')")


def _mysql_read(url: str) -> str:
    with contextlib.closing(_mysql_connection(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT value FROM kept.kept")
        row = cursor.fetchone()
    assert row is not None
    value: str = row[0]
    return value


@pytest.mark.parametrize(
    ("server_class", "write", "read"),
    [
        pytest.param(PostgresServer, _postgres_write, _postgres_read, id="postgres"),
        pytest.param(MariaDBServer, _mysql_write, _mysql_read, id="mariadb"),
    ],
)
def test_database_server_keeps_its_data_across_a_restart(
    server_root: Path,
    server_class: type[PostgresServer | MariaDBServer],
    write: Callable[[str], None],
    read: Callable[[str], str],
) -> None:
    server = server_class(server_root / "data", free_port())
    with server:
        assert ensure_reachable(server.url)
        write(server.url)
    assert not ensure_reachable(server.url)

    with server:
        assert read(server.url) == "still here"
    assert not ensure_reachable(server.url)


def test_postgres_url_is_trust_auth_on_loopback(server_root: Path) -> None:
    port = free_port()
    with PostgresServer(server_root / "data", port) as server:
        assert server.url == f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(server.url) as connection:
            encoding = connection.execute("SHOW server_encoding").fetchone()
            listen = connection.execute("SHOW listen_addresses").fetchone()
        assert (encoding, listen) == (("UTF8",), ("127.0.0.1",))


def test_mariadb_root_without_password_over_tcp(server_root: Path) -> None:
    port = free_port()
    with MariaDBServer(server_root / "data", port) as server:
        assert server.url == f"mysql://root@127.0.0.1:{port}/"
        connection = _mysql_connection(server.url)
        with contextlib.closing(connection), connection.cursor() as cursor:
            cursor.execute("SELECT @@bind_address, @@max_connections, @@character_set_server")
            assert cursor.fetchone() == ("127.0.0.1", 500, "utf8mb4")


def test_redis_starts_stops_and_starts_again(server_root: Path) -> None:
    port = free_port()
    server = RedisServer(server_root / "data", port)
    assert server.url == f"redis://127.0.0.1:{port}/0"
    for _ in range(2):
        with server:
            client = redis.Redis.from_url(server.url)
            assert client.set("key", "value")
            assert client.get("key") == b"value"
            client.close()
        assert not ensure_reachable(server.url)


def test_start_refuses_a_port_in_use(server_root: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServerError, match="already in use"):
            RedisServer(server_root / "data", port).start()


def test_failed_start_reports_the_server_log(server_root: Path) -> None:
    # A data dir that is a file: mariadbd exits at once, and the error shows why.
    server = MariaDBServer(server_root / "data", free_port())
    server.start()
    server.stop()
    (server.datadir / "mysql").rename(server.datadir / "not-mysql")
    (server.datadir / "mysql").mkdir()
    with pytest.raises(ServerError, match=r"exited while starting.*last lines of"):
        server.start()


def test_stop_on_a_new_object_stops_a_leftover_server(server_root: Path) -> None:
    port = free_port()
    first = RedisServer(server_root / "data", port)
    first.start()
    try:
        RedisServer(server_root / "data", port).stop()
        assert not ensure_reachable(first.url)
    finally:
        first.stop()


def test_postgres_start_after_a_crashed_run_replaces_the_leftover(server_root: Path) -> None:
    port = free_port()
    PostgresServer(server_root / "data", port).start()  # never stopped, like a killed run
    with PostgresServer(server_root / "data", port) as server:
        assert ensure_reachable(server.url)
    assert not ensure_reachable(server.url)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another account")
def test_root_postgres_below_a_private_folder_keeps_its_data_where_postgres_can_reach(
    server_root: Path,
) -> None:
    """A clone under /root (mode 700) as a newcomer makes it: `make run` as root."""
    private = server_root / "home"
    private.mkdir(mode=0o700)
    asked = private / "clone" / ".data" / "postgres"
    moved = relocated_postgres_datadir(asked)
    try:
        with kept_server("postgres", asked, free_port()) as server:
            _postgres_write(server.url)
        with kept_server("postgres", asked, free_port()) as server:
            assert _postgres_read(server.url) == "still here"
        assert asked.is_symlink()
        assert asked.resolve() == moved
        assert (moved / "PG_VERSION").exists()
    finally:
        shutil.rmtree(moved, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another account")
def test_a_throwaway_postgres_below_a_private_folder_is_refused_not_moved(
    server_root: Path,
) -> None:
    """Moved, its data would outlive the throwaway folder it was asked for."""
    private = server_root / "home"
    private.mkdir(mode=0o700)
    server = PostgresServer(private / "data", free_port())

    with pytest.raises(ServerError, match="the postgres user cannot enter"):
        server.start()
    assert not relocated_postgres_datadir(private / "data").exists()


def test_a_server_that_outlives_its_stop_is_an_error_not_a_silence(server_root: Path) -> None:
    server = RedisServer(server_root / "data", free_port())
    server.start()
    redis_process = server._process
    # What stop() terminates is not what serves the port (as when a server forks away).
    server._process = spawn(["sleep", "60"], log=server_root / "sleep.log")
    try:
        with pytest.raises(ServerError, match="still answers after it was stopped"):
            server.stop()
    finally:
        assert redis_process is not None
        terminate(redis_process)
    assert not ensure_reachable(server.url)


@pytest.mark.parametrize("server_class", [PostgresServer, MariaDBServer, RedisServer])
def test_a_frozen_server_accepts_connections_but_answers_nothing_until_thawed(
    server_root: Path, server_class: type[LocalServer]
) -> None:
    with server_class(server_root / "data", free_port()) as server:
        with server.frozen():
            # The kernel still completes the TCP handshake; the server says nothing.
            assert accepts_connections("127.0.0.1", server.port, timeout=1)
            assert not ensure_reachable(server.url, timeout=1)
        assert ensure_reachable(server.url)
