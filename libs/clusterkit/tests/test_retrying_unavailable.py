"""The play's clients send a 503 with Retry-After again (clusterkit.chart_play)."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from clusterkit.chart_play import RetryingUnavailable


class _Unavailable(BaseHTTPRequestHandler):
    """503 with Retry-After: 1 for the first `unavailable` requests, then 200."""

    unavailable = 0
    seen = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen += 1
        if type(self).seen <= type(self).unavailable:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Unavailable]]]:
    handler = type("Handler", (_Unavailable,), {})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as http:
        threading.Thread(target=http.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{http.server_address[1]}", handler
        http.shutdown()


def test_a_503_with_retry_after_is_sent_again_with_its_body(
    server: tuple[str, type[_Unavailable]],
) -> None:
    url, handler = server
    handler.unavailable = 2
    with httpx.Client(transport=RetryingUnavailable(patience=10)) as client:
        response = client.post(url, json={"title": "Lamp"})
    assert response.status_code == 200
    assert response.json() == {"title": "Lamp"}
    assert handler.seen == 3


def test_past_its_patience_the_last_503_is_the_answer(
    server: tuple[str, type[_Unavailable]],
) -> None:
    url, handler = server
    handler.unavailable = 100
    with httpx.Client(transport=RetryingUnavailable(patience=1.5)) as client:
        response = client.post(url, json={})
    assert response.status_code == 503
    assert handler.seen == 2
