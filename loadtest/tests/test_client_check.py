"""The generated client's walk (loadtest.client_check): through the real gateway in front
of the real services in both modes, and what it says when the system answers otherwise."""

import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.gateway import Gateway
from devstack.ports import free_port
from loadtest.client_check import CheckFailed, walk
from testkit.local_stack import LocalStack

pytestmark = pytest.mark.timeout(120)


@pytest.mark.e2e
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_the_walk_passes_through_the_gateway(local_stack: LocalStack, mode: str) -> None:
    # Register, log in, read me; item: create, read, list; task: create, done, list; a
    # job: submit, read until it ended; three deletes and the refused login.
    assert walk(local_stack.gateway_url, mode) >= 15


@pytest.fixture
def gateway_without_services() -> Iterator[str]:
    dead = f"127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="client-check-") as folder:
        Path(folder).chmod(0o755)  # nginx's workers serve the API document from here
        listen = f"127.0.0.1:{free_port()}"
        upstreams = {"users": dead, "items": dead, "tasks": dead}
        with Gateway(Path(folder) / "gateway", listen, upstreams) as gateway:
            yield gateway.url


def test_a_documented_problem_fails_the_step_that_got_it(gateway_without_services: str) -> None:
    with pytest.raises(CheckFailed, match=r"^register: expected 201 UserPrivate, got 502 Bad"):
        walk(gateway_without_services, "async")


class Teapot(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(418)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def teapot() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Teapot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_answer_the_document_does_not_describe_fails_the_walk(teapot: str) -> None:
    with pytest.raises(CheckFailed, match="does not describe: Unexpected status code: 418"):
        walk(teapot, "sync")
