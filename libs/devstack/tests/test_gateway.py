import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devstack.gateway import Gateway, TemplateError, render
from devstack.gateway_edge import EdgeSettings
from devstack.layout import gateway_template
from devstack.ports import free_port

pytestmark = pytest.mark.timeout(60)

NGINX_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


class NamedServer(ThreadingHTTPServer):
    """A stand-in's server, which knows the service it stands in for."""

    def __init__(self, name: str, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.service_name = name


class StandIn(BaseHTTPRequestHandler):
    """Answers every request with what it received, echoing X-Request-ID like a service."""

    protocol_version = "HTTP/1.1"  # keep-alive, so the gateway's pool can reuse connections
    server: NamedServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps(
            {
                "service": self.server.service_name,
                "method": self.command,
                "path": self.path,
                "version": self.request_version,
                "headers": dict(self.headers.items()),
                "body_bytes": length,
                "client_port": self.client_address[1],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-ID", self.headers.get("X-Request-ID", "none"))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *_args: object) -> None:
        pass


SERVICES = ("users", "items", "tasks")


def address(server: ThreadingHTTPServer) -> str:
    return f"127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def upstreams() -> Iterator[dict[str, NamedServer]]:
    """A stand-in for each service behind the gateway, answering with its name."""
    servers: dict[str, NamedServer] = {}
    for name in SERVICES:
        server = NamedServer(name, StandIn)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers[name] = server
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def upstream(upstreams: dict[str, NamedServer]) -> ThreadingHTTPServer:
    return upstreams["users"]


@pytest.fixture
def gateway(tmp_path: Path, upstreams: dict[str, NamedServer]) -> Iterator[Gateway]:
    addresses = {name: address(server) for name, server in upstreams.items()}
    with Gateway(tmp_path / "gateway", f"127.0.0.1:{free_port()}", addresses) as running:
        yield running


def request(
    gateway: Gateway,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, Any] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = gateway.listen.rsplit(":", 1)
    connection = connection or http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def assert_problem(response: http.client.HTTPResponse, body: bytes, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.getheader("Content-Type") == "application/problem+json"
    problem: dict[str, Any] = json.loads(body)
    assert set(problem) == {"type", "title", "status", "detail", "request_id"}
    assert problem["type"] == "about:blank"
    assert problem["status"] == status
    assert problem["request_id"] == response.getheader("X-Request-ID")
    return problem


# --- the template --------------------------------------------------------------------


def test_render_fills_every_placeholder(tmp_path: Path) -> None:
    template = tmp_path / "t.conf"
    template.write_text("listen ${GATEWAY_LISTEN};\n# server ${LATER_UPSTREAM};\nset $x 1;\n")
    rendered = render(template, {"GATEWAY_LISTEN": "127.0.0.1:8080"})
    assert rendered == "listen 127.0.0.1:8080;\n# server ${LATER_UPSTREAM};\nset $x 1;\n"


def test_render_names_every_missing_variable(tmp_path: Path) -> None:
    template = tmp_path / "t.conf"
    template.write_text("${B_VALUE} ${A_VALUE} ${C_VALUE}\n")
    with pytest.raises(TemplateError, match=r"no value for A_VALUE, B_VALUE$"):
        render(template, {"C_VALUE": "x"})


@pytest.mark.parametrize("value", ["8080; include /etc/passwd", "a b", "x}", "", "$host"])
def test_render_refuses_values_that_are_not_one_token(tmp_path: Path, value: str) -> None:
    template = tmp_path / "t.conf"
    template.write_text("listen ${GATEWAY_LISTEN};\n")
    with pytest.raises(TemplateError, match="not a single nginx token"):
        render(template, {"GATEWAY_LISTEN": value})


def test_template_placeholders_cannot_clash_with_nginx_variables() -> None:
    # envsubst (the nginx image) replaces ${NAME} and $NAME of set environment variables:
    # nginx's variables must never look like one.
    text = gateway_template().read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert set(re.findall(r"\$\{(\w+)\}", code)) == {
        "GATEWAY_LISTEN",
        "NGINX_RUNTIME_DIR",
        "USERS_UPSTREAM",
        "ITEMS_UPSTREAM",
        "TASKS_UPSTREAM",
        "GATEWAY_API_DOCS",
        *EdgeSettings().placeholders,
    }
    assert not re.findall(r"\$[A-Z]", code.replace("${", ""))


@pytest.mark.skipif(shutil.which("envsubst") is None, reason="envsubst (gettext-base) missing")
def test_envsubst_renders_the_template_like_render(tmp_path: Path) -> None:
    # What the nginx image does with /etc/nginx/templates: envsubst limited to the
    # variables that are set. Same output as ours, comments included.
    values = {
        "GATEWAY_LISTEN": "8080",
        "NGINX_RUNTIME_DIR": "/tmp",
        "USERS_UPSTREAM": "users:8000",
        "ITEMS_UPSTREAM": "items:8000",
        "TASKS_UPSTREAM": "tasks:8000",
        "GATEWAY_API_DOCS": "/usr/share/pyservices/api-docs",
        **EdgeSettings().placeholders,
    }
    shell_format = " ".join(f"${{{name}}}" for name in values)
    rendered = subprocess.run(
        ["envsubst", shell_format],
        input=gateway_template().read_text(),
        env={**os.environ, **values},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert rendered == render(gateway_template(), values)


def test_rendered_template_passes_nginx_t(tmp_path: Path) -> None:
    upstreams = {"users": "127.0.0.1:18001", "items": "127.0.0.1:18002", "tasks": "127.0.0.1:18003"}
    gateway = Gateway(tmp_path, "127.0.0.1:18080", upstreams)
    command = gateway.prepare()
    assert command[-2:] == ["-g", "daemon off;"]
    assert "server 127.0.0.1:18001" in gateway.config_path.read_text()


# --- routing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("GET", "/api/users", "users"),
        ("GET", "/api/users/123?fields=id", "users"),
        ("GET", "/sync/api/users", "users"),
        ("PATCH", "/sync/api/users/7", "users"),
        ("POST", "/api/auth/token", "users"),
        ("POST", "/sync/api/auth/token", "users"),
        ("GET", "/api/items?expand=owner", "items"),
        ("DELETE", "/sync/api/items/9", "items"),
        ("POST", "/api/tasks", "tasks"),
        ("PUT", "/sync/api/tasks/3/done", "tasks"),
        ("POST", "/api/jobs", "tasks"),
        ("GET", "/api/jobs/42", "tasks"),
    ],
)
def test_routes_each_path_to_its_service(
    gateway: Gateway, method: str, path: str, service: str
) -> None:
    response, body = request(gateway, method, path, body=b"{}" if method != "GET" else None)
    assert response.status == 200
    seen = json.loads(body)
    assert (seen["service"], seen["method"], seen["path"]) == (service, method, path)
    # HTTP/1.1 with keep-alive: no "Connection: close" towards the service.
    assert seen["version"] == "HTTP/1.1"
    assert "Connection" not in seen["headers"]


def test_reuses_upstream_connections(gateway: Gateway) -> None:
    host, port = gateway.listen.rsplit(":", 1)
    client = http.client.HTTPConnection(host, int(port), timeout=10)
    ports = {
        json.loads(request(gateway, "GET", "/api/users", connection=client)[1])["client_port"]
        for _ in range(3)
    }
    assert len(ports) == 1


@pytest.mark.parametrize(
    "path", ["/", "/api/usersx", "/api/itemsx", "/api/jobsx", "/users", "/sync/api"]
)
def test_unknown_paths_are_404_problems(gateway: Gateway, path: str) -> None:
    assert_problem(*request(gateway, "GET", path), 404)


def test_healthz_of_the_gateway_itself(gateway: Gateway, upstream: ThreadingHTTPServer) -> None:
    upstream.shutdown()
    response, body = request(gateway, "GET", "/healthz")
    assert (response.status, json.loads(body)) == (200, {"status": "ok"})


# --- request ids -----------------------------------------------------------------------


def test_sets_a_request_id_when_the_client_sent_none(gateway: Gateway) -> None:
    response, body = request(gateway, "GET", "/api/users")
    sent = json.loads(body)["headers"]["X-Request-ID"]
    assert NGINX_REQUEST_ID.fullmatch(sent)
    assert response.getheader("X-Request-ID") == sent
    assert len(response.getheaders()) == len(dict(response.getheaders()))  # no duplicates


@pytest.mark.parametrize("claimed", [None, "203.0.113.9", "203.0.113.9, 198.51.100.1"])
def test_forwards_the_peer_address_never_the_clients_claim(
    gateway: Gateway, claimed: str | None
) -> None:
    headers = {"X-Forwarded-For": claimed} if claimed else {}
    _response, body = request(gateway, "GET", "/api/users", headers=headers)
    assert json.loads(body)["headers"]["X-Forwarded-For"] == "127.0.0.1"


@pytest.mark.parametrize("request_id", ["7234567890123456789", "abc-DEF_1.2", "x" * 64])
def test_keeps_a_well_formed_request_id(gateway: Gateway, request_id: str) -> None:
    response, body = request(gateway, "GET", "/api/users", headers={"X-Request-ID": request_id})
    assert json.loads(body)["headers"]["X-Request-ID"] == request_id
    assert response.getheader("X-Request-ID") == request_id


@pytest.mark.parametrize("request_id", ["has space", 'quote"d', "x" * 65, "<script>", "a\tb"])
def test_replaces_a_malformed_request_id(gateway: Gateway, request_id: str) -> None:
    response, body = request(gateway, "GET", "/api/users", headers={"X-Request-ID": request_id})
    sent = json.loads(body)["headers"]["X-Request-ID"]
    assert NGINX_REQUEST_ID.fullmatch(sent)
    assert response.getheader("X-Request-ID") == sent


def test_error_problems_carry_the_clients_request_id(gateway: Gateway) -> None:
    response, body = request(gateway, "GET", "/nowhere", headers={"X-Request-ID": "42"})
    assert assert_problem(response, body, 404)["request_id"] == "42"


# --- bodies ----------------------------------------------------------------------------


def test_a_body_over_one_mebibyte_is_a_413_problem(gateway: Gateway) -> None:
    response, body = request(gateway, "POST", "/api/users", body=b"x" * (2 * 1024 * 1024))
    problem = assert_problem(response, body, 413)
    assert problem["title"] == "Content Too Large"


def test_a_body_just_under_the_limit_reaches_the_service(gateway: Gateway) -> None:
    # Larger than nginx's default in-memory buffer: the workers (nobody, when we are
    # root) must not need a temp file for it.
    size = 1024 * 1024 - 1024
    response, body = request(gateway, "POST", "/api/users", body=b"x" * size)
    assert response.status == 200
    assert json.loads(body)["body_bytes"] == size


# --- upstream down ---------------------------------------------------------------------


def test_upstream_down_is_a_502_problem(gateway: Gateway, upstream: ThreadingHTTPServer) -> None:
    upstream.shutdown()
    upstream.server_close()
    response, body = request(gateway, "GET", "/api/users", headers={"X-Request-ID": "99"})
    problem = assert_problem(response, body, 502)
    assert problem["request_id"] == "99"


def test_upstream_that_never_listened_is_a_502_problem(tmp_path: Path) -> None:
    dead = {name: f"127.0.0.1:{free_port()}" for name in SERVICES}
    with Gateway(tmp_path / "gw", f"127.0.0.1:{free_port()}", dead) as gateway:
        assert_problem(*request(gateway, "POST", "/sync/api/auth/token", body=b"{}"), 502)


def test_a_slow_upstream_is_a_504_problem(tmp_path: Path, upstream: ThreadingHTTPServer) -> None:
    # The real template with a 1 s read timeout instead of 30 s, against a silent upstream.
    template = tmp_path / "nginx.conf.template"
    text = gateway_template().read_text()
    template.write_text(text.replace("proxy_read_timeout 30s;", "proxy_read_timeout 1s;"))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent_address = f"127.0.0.1:{silent.getsockname()[1]}"
        addresses = dict.fromkeys(SERVICES, silent_address)
        listen = f"127.0.0.1:{free_port()}"
        with Gateway(tmp_path / "gw", listen, addresses, template=template) as gateway:
            problem = assert_problem(*request(gateway, "GET", "/api/users"), 504)
            assert problem["title"] == "Gateway Timeout"


# --- requests nginx cannot parse -------------------------------------------------------


def raw_exchange(gateway: Gateway, raw: bytes) -> tuple[int, dict[str, Any], bytes]:
    host, port = gateway.listen.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        pytest.param(b"GARBAGE\r\n\r\n", 400, id="no-request-line"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", 400, id="bad-header"),
        pytest.param(
            b"POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            400,
            id="bad-length",
        ),
        pytest.param(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, id="long-uri"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n",
            431,
            id="huge-header",
        ),
        pytest.param(b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505, id="unknown-version"),
    ],
)
def test_requests_nginx_cannot_parse_get_problems_not_html(
    gateway: Gateway, raw: bytes, status: int
) -> None:
    code, headers, body = raw_exchange(gateway, raw)
    assert code == status
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["request_id"] == headers["X-Request-ID"]


def test_problem_locations_are_internal(gateway: Gateway) -> None:
    assert_problem(*request(gateway, "GET", "/_problems/502"), 404)


# --- logs ------------------------------------------------------------------------------


def test_access_log_is_json_lines_with_request_id_and_upstream_time(gateway: Gateway) -> None:
    request(gateway, "GET", "/api/users", headers={"X-Request-ID": "777"})
    gateway.stop()  # flushes the log
    entries = [
        json.loads(line)
        for line in gateway.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    entry = next(e for e in entries if e["request_id"] == "777")
    assert entry["service"] == "gateway"
    assert entry["status"] == 200
    assert entry["path"] == "/api/users"
    assert entry["upstream_status"] == "200"
    assert float(entry["upstream_time_s"]) >= 0


# --- what the gateway never routes -------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/fault",
        "/admin/fault/",
        "/ADMIN/fault",
        "//admin/fault",
        "/api/users/../../admin/fault",
        "/sync/api/items/../../../admin/fault",
        "/api/tasks/%2e%2e/%2e%2e/admin/fault",
        "/api/users/..%2f..%2fadmin/fault",
        "/api/../admin/fault",
        "/api%2fusers/../../admin/fault",
        "/admin%2ffault",
        "/%61dmin/fault",
    ],
)
def test_no_path_to_a_services_admin_routes_passes_the_gateway(
    gateway: Gateway, method: str, path: str
) -> None:
    # The services' /admin/fault switches faults; only their own ports reach it. nginx
    # decodes and normalizes a path before it picks a location, so none of these
    # disguises reaches a service: each is the gateway's own 404, token or not.
    headers = {"Authorization": "Bearer dev-fault-admin-token"}
    body = b'{"latency_ms": 100}' if method == "PUT" else None

    assert_problem(*request(gateway, method, path, body=body, headers=headers), 404)


def test_the_api_docs_are_served_from_a_runtime_dir_below_a_private_folder(tmp_path: Path) -> None:
    """`make run` in a clone under /root: as root, nginx's workers (nobody) cannot enter
    it, so the files they serve move to a folder they reach, linked from the runtime dir,
    and go when the gateway stops."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    upstreams = {name: f"127.0.0.1:{free_port()}" for name in SERVICES}
    gateway = Gateway(private / "gw", f"127.0.0.1:{free_port()}", upstreams, relocate_private=True)
    moved = os.geteuid() == 0
    try:
        with gateway:
            page, _ = request(gateway, "GET", "/docs")
            document, _ = request(gateway, "GET", "/openapi.json")
            linked = (private / "gw" / "api-docs").resolve()

        assert page.status == 200
        assert document.status == 200
        assert linked == gateway.api_docs_dir
        assert gateway.api_docs_dir.is_relative_to(private) is not moved
        assert gateway.api_docs_dir.exists() is not moved  # moved ones go at the stop
    finally:
        if moved:
            shutil.rmtree(gateway.api_docs_dir, ignore_errors=True)
