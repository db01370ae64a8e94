"""Behind an Ingress controller or a load balancer, the gateway counts clients, not the
proxy: it believes X-Forwarded-For only from the proxies it is told to trust
(GATEWAY_TRUSTED_PROXIES; none by default), through real nginx started both ways the
template is used: by `make run`'s renderer and by the gateway image's entrypoint."""

import http.client
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Generator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devstack.binaries import find_binary
from devstack.gateway import Gateway, TemplateError, parse_trusted_proxies
from devstack.health import wait_until_ok
from devstack.layout import gateway_template, repo_root
from devstack.ports import free_port
from devstack.processes import spawn, tail, terminate

pytestmark = pytest.mark.timeout(60)

# Loopback has all of 127.0.0.0/8: a client can connect from each of these.
INGRESS = "127.0.0.2"  # the proxy in front of the gateway
STRANGER = "127.0.0.3"  # anyone else who reaches the gateway directly
# An Ingress controller's own address and the cluster's range it may forward through.
TRUSTED = f"{INGRESS}, 10.0.0.0/8"
ENTRYPOINT = repo_root() / "gateway" / "entrypoint.sh"


class Echo(BaseHTTPRequestHandler):
    """Answers with the X-Forwarded-For it received: the address users would count."""

    def do_GET(self) -> None:
        body = json.dumps({"forwarded_for": self.headers.get("X-Forwarded-For")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def upstreams() -> Iterator[dict[str, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"
    yield {"users": address, "items": address, "tasks": address}
    server.shutdown()
    server.server_close()


def by_renderer(
    tmp_path: Path, upstreams: dict[str, str], trusted: str
) -> Generator[str, None, None]:
    """`make run`'s way: devstack renders the template (GATEWAY_TRUSTED_PROXIES parsed)."""
    listen = f"127.0.0.1:{free_port()}"
    with Gateway(
        tmp_path / "gw", listen, upstreams, trusted_proxies=parse_trusted_proxies(trusted)
    ):
        yield listen


def entrypoint_environment(
    tmp_path: Path, upstreams: dict[str, str], trusted: str
) -> dict[str, Any]:
    nginx_dir = str(Path(find_binary("nginx")).parent)
    return {
        "PATH": f"{nginx_dir}:/usr/bin:/bin",
        "GATEWAY_TEMPLATE": str(gateway_template()),
        "NGINX_RUNTIME_DIR": str(tmp_path / "runtime"),
        "GATEWAY_LISTEN": f"127.0.0.1:{free_port()}",
        "GATEWAY_TRUSTED_PROXIES": trusted,
        "GATEWAY_API_DOCS": str(tmp_path / "api-docs"),  # the image's ENV
        **{f"{name.upper()}_UPSTREAM": address for name, address in upstreams.items()},
    }


def by_entrypoint(
    tmp_path: Path, upstreams: dict[str, str], trusted: str
) -> Generator[str, None, None]:
    """The image's way: gateway/entrypoint.sh renders with envsubst and execs nginx."""
    env = entrypoint_environment(tmp_path, upstreams, trusted)
    log = tmp_path / "entrypoint.log"
    process = spawn(["sh", str(ENTRYPOINT)], env=env, log=log)
    try:
        started = wait_until_ok(
            f"http://{env['GATEWAY_LISTEN']}/healthz", 15, lambda: process.poll() is None
        )
        assert started, tail(log)
        yield env["GATEWAY_LISTEN"]
    finally:
        terminate(process, grace=10)


LAUNCHERS: dict[str, Callable[..., Generator[str, None, None]]] = {
    "make-run": by_renderer,
    "image-entrypoint": by_entrypoint,
}
needs_envsubst = pytest.mark.skipif(
    shutil.which("envsubst") is None, reason="envsubst (gettext-base) missing"
)


@pytest.fixture(params=[pytest.param(name, marks=needs_envsubst) for name in LAUNCHERS])
def start_gateway(
    request: pytest.FixtureRequest, tmp_path: Path, upstreams: dict[str, str]
) -> Iterator[Callable[[str], str]]:
    """start_gateway(trusted) -> the listen address of a running gateway."""
    running: list[Generator[str, None, None]] = []

    def start(trusted: str) -> str:
        launched = LAUNCHERS[request.param](tmp_path / str(len(running)), upstreams, trusted)
        running.append(launched)
        return next(launched)

    yield start
    for launched in running:
        launched.close()


def seen_by_upstream(listen: str, source: str, forwarded_for: str | None) -> str:
    """The X-Forwarded-For the service gets for a request from `source`."""
    host, port = listen.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    connection.request("GET", "/api/users", headers=headers)
    response = connection.getresponse()
    assert response.status == 200
    result: str = json.loads(response.read())["forwarded_for"]
    return result


def test_a_trusted_proxy_names_the_client(start_gateway: Callable[[str], str]) -> None:
    listen = start_gateway(TRUSTED)

    assert seen_by_upstream(listen, INGRESS, "203.0.113.9") == "203.0.113.9"
    # Through more trusted hops (a cloud load balancer, then the Ingress controller).
    assert seen_by_upstream(listen, INGRESS, "203.0.113.9, 10.1.2.3") == "203.0.113.9"
    # A client that writes its own X-Forwarded-For: the proxy appends the address it saw,
    # and that rightmost untrusted address is the one counted.
    assert seen_by_upstream(listen, INGRESS, "192.0.2.1, 203.0.113.9") == "203.0.113.9"
    # A request the proxy sent without the header: the proxy is the client.
    assert seen_by_upstream(listen, INGRESS, None) == INGRESS


def test_anyone_else_is_counted_by_their_own_address(start_gateway: Callable[[str], str]) -> None:
    listen = start_gateway(TRUSTED)

    assert seen_by_upstream(listen, STRANGER, "203.0.113.9") == STRANGER
    assert seen_by_upstream(listen, STRANGER, f"203.0.113.9, {INGRESS}") == STRANGER


def test_by_default_no_proxy_is_trusted(start_gateway: Callable[[str], str]) -> None:
    listen = start_gateway("")

    assert seen_by_upstream(listen, INGRESS, "203.0.113.9") == INGRESS


@pytest.mark.parametrize(
    "trusted", ["10.0.0.0/8; include /etc/passwd", "proxy.example", "10.0.0.0/8 *"]
)
@needs_envsubst
def test_anything_but_addresses_and_ranges_is_refused(
    tmp_path: Path, upstreams: dict[str, str], trusted: str
) -> None:
    gateway = Gateway(
        tmp_path, "127.0.0.1:1", upstreams, trusted_proxies=parse_trusted_proxies(trusted)
    )
    with pytest.raises(TemplateError, match="GATEWAY_TRUSTED_PROXIES"):
        gateway.prepare()

    env = entrypoint_environment(tmp_path, upstreams, trusted)
    done = subprocess.run(
        ["sh", str(ENTRYPOINT), "true"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 64
    assert done.stderr.startswith("gateway: invalid GATEWAY_TRUSTED_PROXIES entry")
    assert len(done.stderr.splitlines()) == 1


@needs_envsubst
def test_the_entrypoint_writes_one_line_per_proxy(
    tmp_path: Path, upstreams: dict[str, str]
) -> None:
    env = entrypoint_environment(tmp_path, upstreams, "10.0.0.0/8,192.0.2.7  2001:db8::/32")
    conf = Path(env["NGINX_RUNTIME_DIR"]) / "trusted-proxies.conf"
    subprocess.run(["sh", str(ENTRYPOINT), "true"], env=env, check=True)

    assert conf.read_text().splitlines() == [
        "set_real_ip_from 10.0.0.0/8;",
        "set_real_ip_from 192.0.2.7;",
        "set_real_ip_from 2001:db8::/32;",
    ]
