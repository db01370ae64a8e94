"""Is a server at this URL up? A TCP connect, then one round trip in its own protocol.

The TCP step fails fast on a closed port; the protocol step catches a port held by
something else, or a server that accepts connections but is not ready for queries.
"""

import contextlib
from urllib.parse import urlsplit

import psycopg
import pymysql
import redis
from sqlalchemy.engine import make_url

from devstack.ports import accepts_connections

DEFAULT_TIMEOUT = 2.0


def kind_of(url: str) -> str:
    """The kind of server a URL names (postgres, mysql or redis); drivers are allowed."""
    scheme = urlsplit(url).scheme.split("+")[0].lower()
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    if scheme in ("redis", "rediss"):
        return "redis"
    raise ValueError(f"unsupported URL scheme {scheme!r} in {url!r}")


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def postgres_is_reachable(url: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    host, port = _host_port(url, 5432)
    if not accepts_connections(host, port, timeout):
        return False
    parsed = make_url(url)
    try:
        with psycopg.connect(
            host=host,
            port=port,
            user=parsed.username or "postgres",
            password=parsed.password,
            dbname=parsed.database or "postgres",
            # libpq counts whole seconds and treats less than 2 as 2.
            connect_timeout=max(2, round(timeout)),
        ) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def mysql_is_reachable(url: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    host, port = _host_port(url, 3306)
    if not accepts_connections(host, port, timeout):
        return False
    parsed = make_url(url)
    try:
        connection = pymysql.connect(
            host=host,
            port=port,
            user=parsed.username or "root",
            password=parsed.password or "",
            connect_timeout=timeout,
            read_timeout=timeout,
        )
    except pymysql.Error:
        return False
    with contextlib.closing(connection), connection.cursor() as cursor:
        try:
            cursor.execute("SELECT 1")
        except pymysql.Error:
            return False
    return True


def redis_is_reachable(url: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    host, port = _host_port(url, 6379)
    if not accepts_connections(host, port, timeout):
        return False
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


_PROBES = {
    "postgres": postgres_is_reachable,
    "mysql": mysql_is_reachable,
    "redis": redis_is_reachable,
}


def ensure_reachable(url: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """True if the Postgres, MySQL/MariaDB or Redis server at `url` answers a query."""
    return _PROBES[kind_of(url)](url, timeout)
