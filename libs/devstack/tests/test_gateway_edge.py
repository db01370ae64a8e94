"""What API consumers meet at the gateway, through real nginx from the real template in
front of a stand-in service: CORS answered at the edge (errors included), per-client
request budgets (the real client behind a trusted proxy), and gzip above a threshold.
A browser's view of CORS against the real users service: test_gateway_cors_browser.py;
a real 50-row page: test_gateway_edge_e2e.py."""

import gzip
import http.client
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.gateway import Gateway
from devstack.gateway_edge import CORS_METHODS, DEFAULTS, EdgeSettings
from devstack.ports import free_port

pytestmark = pytest.mark.timeout(120)

APP = "https://app.example"
# 50 rows shaped like users' public profiles: well above the 1 KiB threshold.
PAGE = json.dumps(
    {
        "items": [
            {"id": n, "name": f"Seeded User {n:04d}", "created_at": "2026-12-01T10:00:00Z"}
            for n in range(1, 51)
        ],
        "next_cursor": "eyJpIjo1MH0",
    }
).encode()
VALIDATION_PROBLEM = json.dumps(
    {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "The request body is not valid.",
        "errors": [{"loc": ["body", "email"], "msg": "Field required", "type": "missing"}],
    }
).encode()
LARGE_PROBLEM = json.dumps(
    {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "x" * 2000}
).encode()


class CountingServer(ThreadingHTTPServer):
    """Keeps what reached its handler: "METHOD /path" -> times."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.seen: Counter[str] = Counter()


class StandIn(BaseHTTPRequestHandler):
    """A service: a page, a validation problem, its own 429, its own CORS header; it
    counts what reaches it, by method and path."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in two writes, no delayed ACK wait
    server: CountingServer

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen[f"{self.command} {self.path}"] += 1
        headers: dict[str, str] = {}
        if self.command == "POST":
            status, kind, body = 422, "application/problem+json", VALIDATION_PROBLEM
        elif self.path == "/api/users/page":
            status, kind, body = 200, "application/json", PAGE
        elif self.path == "/api/tasks/busy":
            status, kind, body = 429, "application/problem+json", b'{"status":429}'
            headers["Retry-After"] = "30"
        elif self.path == "/api/items/broken":
            status, kind, body = 500, "application/problem+json", b'{"status":500}'
        elif self.path == "/api/items/gone":
            status, kind, body = 404, "application/problem+json", LARGE_PROBLEM
        elif self.path == "/api/items/claims-cors":
            status, kind, body = 200, "application/json", b"{}"
            headers["Access-Control-Allow-Origin"] = "https://evil.example"
            headers["Access-Control-Allow-Credentials"] = "true"
        else:
            status, kind, body = 200, "application/json", b'{"id":1}'
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[CountingServer]:
    server = CountingServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_gateway(tmp_path: Path, service: CountingServer) -> Iterator[Callable[..., Gateway]]:
    """start_gateway(trusted_proxies=(), relocate_private=False, **settings): a running
    gateway, the settings as `make run` takes them from its environment
    (GATEWAY_CORS_ORIGINS=...); relocate_private as `make run` asks, for /docs to answer
    200 when tmp_path is private (as root)."""
    address = f"127.0.0.1:{service.server_address[1]}"
    started: list[Gateway] = []

    def start(
        trusted_proxies: tuple[str, ...] = (), relocate_private: bool = False, **settings: str
    ) -> Gateway:
        gateway = Gateway(
            tmp_path / f"gateway-{len(started)}",
            f"127.0.0.1:{free_port()}",
            dict.fromkeys(("users", "items", "tasks"), address),
            trusted_proxies=trusted_proxies,
            edge=EdgeSettings.from_environ(settings),
            relocate_private=relocate_private,
        )
        gateway.start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


class Client:
    """One keep-alive connection to the gateway from `source` (an address of loopback),
    answers read raw: http.client neither decompresses nor merges anything."""

    def __init__(self, gateway: Gateway, source: str = "127.0.0.1", **headers: str) -> None:
        host, port = gateway.listen.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(
            host, int(port), timeout=10, source_address=(source, 0)
        )
        self.headers = {name.replace("_", "-"): value for name, value in headers.items()}

    def send(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[http.client.HTTPResponse, bytes]:
        sent = self.headers | {name.replace("_", "-"): value for name, value in headers.items()}
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        return response, response.read()

    def until_refused(self, method: str, path: str, most: int = 200) -> int:
        """Sends until a 429 (at most `most` requests); returns how many passed first.
        A budget of one request a second plus a burst of a few is spent in far fewer
        requests than `most` on any machine that answers each within a second."""
        for passed in range(most):
            response, _ = self.send(method, path, body=b"{}" if method != "GET" else None)
            if response.status == 429:
                return passed
        pytest.fail(f"{most} requests, no 429")


def cors_headers(response: http.client.HTTPResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.getheaders()
        if name.lower().startswith("access-control-")
    }


def vary(response: http.client.HTTPResponse) -> set[str]:
    return {
        part.strip()
        for name, value in response.getheaders()
        if name.lower() == "vary"
        for part in value.split(",")
    }


def preflight(
    client: Client, origin: str, method: str = "POST"
) -> tuple[http.client.HTTPResponse, bytes]:
    return client.send(
        "OPTIONS",
        "/api/users",
        Origin=origin,
        Access_Control_Request_Method=method,
        Access_Control_Request_Headers="authorization,content-type",
    )


# --- CORS ----------------------------------------------------------------------------


def test_no_origin_is_allowed_by_default(
    start_gateway: Callable[..., Gateway], service: CountingServer
) -> None:
    client = Client(start_gateway())

    answer, _ = client.send("GET", "/api/users/1", Origin=APP)
    assert answer.status == 200
    assert cors_headers(answer) == {}

    answered, _ = preflight(client, APP)
    assert answered.status == 204
    assert cors_headers(answered) == {}
    assert service.seen["OPTIONS /api/users"] == 0


def test_an_allowed_origin_may_read_answers_and_their_request_id(
    start_gateway: Callable[..., Gateway],
) -> None:
    client = Client(start_gateway(GATEWAY_CORS_ORIGINS=f"{APP}, http://127.0.0.1:3000"))

    for origin in (APP, "http://127.0.0.1:3000"):
        answer, _ = client.send("GET", "/api/users/1", Origin=origin)
        assert answer.status == 200
        assert cors_headers(answer) == {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "X-Request-ID, Retry-After, Location",
        }
        assert "Origin" in vary(answer)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://app.example",  # another scheme
        "https://app.example:8443",  # another port
        "https://app.example.evil.example",
        "null",
    ],
)
def test_an_origin_not_listed_gets_no_cors_headers(
    start_gateway: Callable[..., Gateway], origin: str
) -> None:
    client = Client(start_gateway(GATEWAY_CORS_ORIGINS=APP))

    answer, _ = client.send("GET", "/api/users/1", Origin=origin)
    answered, _ = preflight(client, origin)

    assert (answer.status, cors_headers(answer)) == (200, {})
    assert (answered.status, cors_headers(answered)) == (204, {})
    # Still one answer per origin for caches.
    assert "Origin" in vary(answer)


def test_a_preflight_is_answered_by_the_gateway_with_the_settings(
    start_gateway: Callable[..., Gateway], service: CountingServer
) -> None:
    gateway = start_gateway(
        GATEWAY_CORS_ORIGINS=APP,
        GATEWAY_CORS_METHODS="GET, POST",
        GATEWAY_CORS_HEADERS="Authorization,Content-Type",
        GATEWAY_CORS_MAX_AGE="120",
    )

    answered, body = preflight(Client(gateway), APP)

    assert (answered.status, body) == (204, b"")
    assert cors_headers(answered) == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Methods": "GET,POST",
        "Access-Control-Allow-Headers": "Authorization,Content-Type",
        "Access-Control-Max-Age": "120",
        "Access-Control-Expose-Headers": "X-Request-ID, Retry-After, Location",
    }
    assert answered.getheader("X-Request-ID")
    assert sum(service.seen.values()) == 0


def test_a_plain_options_request_still_reaches_the_service(
    start_gateway: Callable[..., Gateway], service: CountingServer
) -> None:
    answer, _ = Client(start_gateway(GATEWAY_CORS_ORIGINS=APP)).send("OPTIONS", "/api/users")

    assert answer.status == 200
    assert service.seen["OPTIONS /api/users"] == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("POST", "/api/users", b"{}", 422, id="service-422"),
        pytest.param("GET", "/api/items/broken", None, 500, id="service-500"),
        pytest.param("GET", "/nowhere", None, 404, id="gateway-404"),
        pytest.param("POST", "/api/users", b"x" * (2 * 1024 * 1024), 413, id="gateway-413"),
    ],
)
def test_errors_carry_the_cors_headers_so_a_page_can_read_them(
    start_gateway: Callable[..., Gateway], method: str, path: str, body: bytes | None, status: int
) -> None:
    client = Client(start_gateway(GATEWAY_CORS_ORIGINS=APP))

    answer, text = client.send(method, path, body=body, Origin=APP)

    assert answer.status == status
    assert answer.getheader("Content-Type") == "application/problem+json"
    assert json.loads(text)["status"] == status
    assert answer.getheader("Access-Control-Allow-Origin") == APP
    assert "X-Request-ID" in (answer.getheader("Access-Control-Expose-Headers") or "")


def test_an_unreachable_service_is_a_502_a_page_can_read(
    start_gateway: Callable[..., Gateway], service: CountingServer
) -> None:
    gateway = start_gateway(GATEWAY_CORS_ORIGINS=APP)
    service.shutdown()
    service.server_close()

    answer, text = Client(gateway).send("GET", "/api/users/1", Origin=APP)

    assert (answer.status, json.loads(text)["status"]) == (502, 502)
    assert answer.getheader("Access-Control-Allow-Origin") == APP


def test_any_origin_is_answered_with_a_wildcard_and_never_credentials(
    start_gateway: Callable[..., Gateway],
) -> None:
    client = Client(start_gateway(GATEWAY_CORS_ORIGINS="*"))

    answer, _ = client.send("GET", "/api/items/claims-cors", Origin="https://anyone.example")
    answered, _ = preflight(client, "https://anyone.example")

    assert answer.getheader("Access-Control-Allow-Origin") == "*"
    assert answered.getheader("Access-Control-Allow-Origin") == "*"
    for response in (answer, answered):
        assert response.getheader("Access-Control-Allow-Credentials") is None


def test_a_services_own_cors_headers_never_pass(start_gateway: Callable[..., Gateway]) -> None:
    client = Client(start_gateway(GATEWAY_CORS_ORIGINS=APP))

    listed, _ = client.send("GET", "/api/items/claims-cors", Origin=APP)
    unlisted, _ = client.send("GET", "/api/items/claims-cors", Origin="https://evil.example")

    assert cors_headers(listed)["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in cors_headers(listed)
    assert cors_headers(unlisted) == {}


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/docs/swagger-ui.css"])
def test_the_api_document_and_ui_keep_the_gateways_headers(
    start_gateway: Callable[..., Gateway], service: CountingServer, path: str
) -> None:
    """/openapi.json and /docs are the gateway's own static locations: their answers carry
    the server's CORS and X-Request-ID headers like the API's (a location with an
    add_header of its own would lose them all), and a preflight to them is answered here."""
    client = Client(start_gateway(relocate_private=True, GATEWAY_CORS_ORIGINS=APP), Origin=APP)

    answer, _ = client.send("GET", path)
    answered, body = client.send("OPTIONS", path, Access_Control_Request_Method="GET")

    assert answer.status == 200
    assert cors_headers(answer) == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Expose-Headers": "X-Request-ID, Retry-After, Location",
    }
    assert (answered.status, body) == (204, b"")
    assert cors_headers(answered)["Access-Control-Allow-Methods"] == DEFAULTS[CORS_METHODS]
    for response in (answer, answered):
        assert response.getheader("X-Request-ID")
        assert "Origin" in vary(response)
    assert sum(service.seen.values()) == 0


def test_the_api_document_is_gzipped_for_a_client_that_asks(
    start_gateway: Callable[..., Gateway],
) -> None:
    client = Client(start_gateway(relocate_private=True), Accept_Encoding="gzip")

    answer, body = client.send("GET", "/openapi.json")

    assert answer.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["openapi"] == "3.1.0"


# --- per-client limits ---------------------------------------------------------------


def test_no_client_is_limited_by_default(start_gateway: Callable[..., Gateway]) -> None:
    client = Client(start_gateway())

    statuses = Counter(client.send("GET", "/api/users/1")[0].status for _ in range(300))
    statuses += Counter(client.send("POST", "/api/users", b"{}")[0].status for _ in range(100))

    assert statuses == {200: 300, 422: 100}


def test_a_client_over_its_read_budget_gets_429_problems(
    start_gateway: Callable[..., Gateway], service: CountingServer
) -> None:
    client = Client(start_gateway(GATEWAY_READ_RATE="1", GATEWAY_READ_BURST="3"))

    passed = client.until_refused("GET", "/api/users/1")
    refused, body = client.send("GET", "/api/users/1", X_Request_ID="over-budget")

    assert passed >= 1
    assert service.seen["GET /api/users/1"] == passed
    assert refused.status == 429
    assert refused.getheader("Content-Type") == "application/problem+json"
    assert refused.getheader("Retry-After") == "1"
    problem = json.loads(body)
    assert (problem["status"], problem["title"]) == (429, "Too Many Requests")
    assert problem["request_id"] == refused.getheader("X-Request-ID") == "over-budget"


def test_another_client_behind_the_same_proxy_keeps_its_budget(
    start_gateway: Callable[..., Gateway],
) -> None:
    # Both clients come through the Ingress at 127.0.0.2, which names them.
    gateway = start_gateway(
        trusted_proxies=("127.0.0.2",), GATEWAY_READ_RATE="1", GATEWAY_READ_BURST="2"
    )
    first = Client(gateway, "127.0.0.2", X_Forwarded_For="203.0.113.1")
    second = Client(gateway, "127.0.0.2", X_Forwarded_For="203.0.113.2")

    first.until_refused("GET", "/api/users/1")

    assert second.send("GET", "/api/users/1")[0].status == 200
    assert first.send("GET", "/api/users/1")[0].status == 429
    # The proxy's own requests are its own client too.
    assert Client(gateway, "127.0.0.2").send("GET", "/api/users/1")[0].status == 200


def test_another_address_keeps_its_budget(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(GATEWAY_READ_RATE="1", GATEWAY_READ_BURST="2")

    Client(gateway, "127.0.0.3").until_refused("GET", "/api/users/1")

    assert Client(gateway, "127.0.0.4").send("GET", "/api/users/1")[0].status == 200


def test_a_client_cannot_spend_another_budget_by_naming_another_address(
    start_gateway: Callable[..., Gateway],
) -> None:
    # 127.0.0.3 is no trusted proxy: what it writes in X-Forwarded-For is not believed.
    gateway = start_gateway(
        trusted_proxies=("127.0.0.2",), GATEWAY_WRITE_RATE="1", GATEWAY_WRITE_BURST="2"
    )
    client = Client(gateway, "127.0.0.3")

    client.until_refused("POST", "/api/users")
    claimed, _ = client.send("POST", "/api/users", b"{}", X_Forwarded_For="198.51.100.7")

    assert claimed.status == 429


def test_reads_and_writes_have_budgets_of_their_own(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(
        GATEWAY_READ_RATE="1",
        GATEWAY_READ_BURST="1",
        GATEWAY_WRITE_RATE="1",
        GATEWAY_WRITE_BURST="1",
    )
    reader, writer = Client(gateway, "127.0.0.5"), Client(gateway, "127.0.0.6")

    reader.until_refused("GET", "/api/users/1")
    writer.until_refused("PATCH", "/api/users/1")

    assert reader.send("POST", "/api/users", b"{}")[0].status == 422  # reached users
    assert reader.send("HEAD", "/api/users/1")[0].status == 429  # HEAD is a read
    assert writer.send("GET", "/api/users/1")[0].status == 200
    assert writer.send("DELETE", "/sync/api/users/1")[0].status == 429


def test_preflights_and_the_gateways_own_paths_are_not_counted(
    start_gateway: Callable[..., Gateway],
) -> None:
    gateway = start_gateway(GATEWAY_CORS_ORIGINS=APP, GATEWAY_READ_RATE="1", GATEWAY_READ_BURST="0")
    client = Client(gateway)

    for _ in range(20):
        assert preflight(client, APP)[0].status == 204
        assert client.send("GET", "/healthz")[0].status == 200

    assert client.send("GET", "/api/users/1")[0].status == 200


def test_a_429_carries_the_cors_headers(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(GATEWAY_CORS_ORIGINS=APP, GATEWAY_READ_RATE="1", GATEWAY_READ_BURST="1")
    client = Client(gateway, Origin=APP)

    client.until_refused("GET", "/api/users/1")
    refused, _ = client.send("GET", "/api/users/1")

    assert refused.status == 429
    assert refused.getheader("Access-Control-Allow-Origin") == APP
    assert "Retry-After" in (refused.getheader("Access-Control-Expose-Headers") or "")


def test_a_services_own_429_keeps_its_retry_after(start_gateway: Callable[..., Gateway]) -> None:
    answer, _ = Client(start_gateway()).send("GET", "/api/tasks/busy")

    assert answer.status == 429
    assert [value for name, value in answer.getheaders() if name == "Retry-After"] == ["30"]


# --- compression ---------------------------------------------------------------------


def test_a_50_row_page_is_gzipped_when_the_client_accepts_it(
    start_gateway: Callable[..., Gateway],
) -> None:
    client = Client(start_gateway())

    answer, body = client.send("GET", "/api/users/page", Accept_Encoding="gzip, deflate")

    assert answer.status == 200
    assert answer.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == PAGE
    assert len(body) < len(PAGE) / 3
    assert "Accept-Encoding" in vary(answer)


def test_a_50_row_page_is_identity_when_the_client_does_not_ask(
    start_gateway: Callable[..., Gateway],
) -> None:
    client = Client(start_gateway())

    answer, body = client.send("GET", "/api/users/page")

    assert answer.getheader("Content-Encoding") is None
    assert body == PAGE
    # The same URL may be gzip for another client: caches must tell them apart.
    assert "Accept-Encoding" in vary(answer)


def test_a_tiny_answer_is_never_compressed(start_gateway: Callable[..., Gateway]) -> None:
    answer, body = Client(start_gateway()).send("GET", "/api/users/1", Accept_Encoding="gzip")

    assert answer.getheader("Content-Encoding") is None
    assert body == b'{"id":1}'


def test_a_large_problem_is_compressed_too(start_gateway: Callable[..., Gateway]) -> None:
    # nginx compresses 200, 403 and 404 answers only; other problems pass as they are.
    answer, body = Client(start_gateway()).send("GET", "/api/items/gone", Accept_Encoding="gzip")

    assert answer.status == 404
    assert answer.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == LARGE_PROBLEM


def test_the_threshold_is_a_setting(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(GATEWAY_GZIP_MIN_BYTES=str(len(PAGE) + 1))

    answer, body = Client(gateway).send("GET", "/api/users/page", Accept_Encoding="gzip")

    assert answer.getheader("Content-Encoding") is None
    assert body == PAGE
