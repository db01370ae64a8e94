"""The relay the chart play tests reach loopback servers through (clusterkit.relay)."""

import os
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from clusterkit.relay import TcpRelay
from devstack.ports import free_port
from devstack.processes import pid_alive


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.server_address[1]
        server.shutdown()


def test_bytes_go_through_both_ways_in_a_process_of_its_own(echo_port: int) -> None:
    with TcpRelay("127.0.0.1", ("127.0.0.1", echo_port)) as relay:
        pid = relay.pid
        assert pid is not None
        assert pid != os.getpid()
        with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as client:
            payload = b"x" * 200_000
            client.sendall(payload)
            received = b""
            while len(received) < len(payload):
                received += client.recv(65536)
        assert received == payload
    assert relay.pid is None
    assert not pid_alive(pid)


def test_a_target_that_refuses_closes_the_connection_and_is_logged() -> None:
    closed = free_port()
    with TcpRelay("127.0.0.1", ("127.0.0.1", closed)) as relay:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as client:
            assert client.recv(100) == b""
        assert f"to ('127.0.0.1', {closed}): ConnectionRefusedError" in relay.log_tail()
