import socket

import pytest

from devstack.ports import free_port
from devstack.probes import ensure_reachable, kind_of

pytestmark = pytest.mark.timeout(30)


def test_reachable_servers(
    postgres_server_url: str, mysql_server_url: str, redis_server_url: str
) -> None:
    assert ensure_reachable(postgres_server_url)
    assert ensure_reachable(mysql_server_url)
    assert ensure_reachable(redis_server_url)


@pytest.mark.parametrize(
    "template",
    [
        "postgresql://postgres@127.0.0.1:{port}/postgres",
        "mysql://root@127.0.0.1:{port}/",
        "redis://127.0.0.1:{port}/0",
    ],
)
def test_closed_port_is_unreachable(template: str) -> None:
    assert not ensure_reachable(template.format(port=free_port()))


def test_a_port_held_by_another_protocol_is_unreachable(redis_server_url: str) -> None:
    redis_port = int(redis_server_url.rsplit(":", 1)[1].split("/")[0])
    assert not ensure_reachable(f"postgresql://postgres@127.0.0.1:{redis_port}/postgres")
    assert not ensure_reachable(f"mysql://root@127.0.0.1:{redis_port}/")


def test_a_silent_listener_is_unreachable_within_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        assert not ensure_reachable(f"redis://127.0.0.1:{port}/0", timeout=0.5)
        assert not ensure_reachable(f"mysql://root@127.0.0.1:{port}/", timeout=0.5)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("postgresql+psycopg://x@h/db", "postgres"),
        ("postgres://x@h/db", "postgres"),
        ("mariadb://x@h/db", "mysql"),
        ("mysql+aiomysql://x@h/db", "mysql"),
        ("redis://h:1/0", "redis"),
    ],
)
def test_kind_of(url: str, kind: str) -> None:
    assert kind_of(url) == kind


def test_kind_of_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        kind_of("sqlite:///x.db")
