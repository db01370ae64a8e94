"""HTTP health checks: does a URL answer 200, and waiting until it does."""

import http.client
import time
from collections.abc import Callable
from urllib.parse import urlsplit


def answers_ok(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"{url!r} names no host")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_until_ok(url: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """True once `url` answers 200; False on timeout or as soon as `alive()` turns False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers_ok(url):
            return True
        if not alive():
            return False
        time.sleep(0.1)
    return False
