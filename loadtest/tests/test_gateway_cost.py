"""`python -m loadtest.gateway_cost`: bytes are counted as they arrive, gzip's and
identity's alike, and the CPU read is that of the gateway's own nginx workers (what it
measured is in docs/api.md, "Gateway settings"; no time is asserted here)."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from loadtest.gateway_cost import CASES, RawClient, _children, gateway_for, main, measure

pytestmark = pytest.mark.timeout(120)

PAGE = json.dumps(
    {"items": [{"id": n, "name": f"Seeded User {n:04d}"} for n in range(50)]}
).encode()


class Page(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without this, each answer waits out the
    # peer's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_bytes_of_each_answer_are_counted_as_received(upstream: str, tmp_path: Path) -> None:
    identity, level_1, level_6 = measure(upstream, "/api/users", 5, 2, tmp_path)

    assert identity.body_bytes == len(PAGE)
    assert identity.wire_bytes > identity.body_bytes  # the status line and headers
    for packed in (level_1, level_6):
        assert packed.body_bytes < len(PAGE) / 3
        assert packed.wire_bytes < identity.wire_bytes


def test_a_gzip_answer_is_read_whole_through_its_chunks(upstream: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.accept_encoding)
    with gateway_for(case, upstream, tmp_path) as gateway:
        client = RawClient(gateway.listen)
        # Over nginx's keepalive_requests (1000 by default, then it closes).
        answers = [client.get("/api/users", "gzip") for _ in range(1100)]
        client.close()
        workers = _children(gateway.pid or 0)

    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, body, _ in answers}) == 1
    assert workers  # nginx's workers, whose CPU time is what is read


def test_the_command_prints_one_row_per_answer(
    upstream: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--upstream", upstream, "--requests", "3", "--rounds", "1"]) == 0

    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows[1:]] == [c.label for c in CASES]
