"""TCP ports on the loopback interface."""

import socket
import time


def free_port() -> int:
    """A port nobody listens on right now (another process may still take it first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]  # the address of an AF_INET socket: (host, port)
        return port


def accepts_connections(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until_closed(host: str, port: int, timeout: float = 10.0) -> bool:
    """True once nothing accepts on the port, so a restart can bind it again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not accepts_connections(host, port, timeout=0.2):
            return True
        time.sleep(0.05)
    return False
