"""CORS as a browser enforces it: headless Chromium (Debian's `chromium` and
`chromium-driver`) opens a page served on another origin (another port of 127.0.0.1),
whose script calls the real users service through the gateway with fetch(): it reads a
200 and a 422 body and the request id; the same page from an origin not listed reads
nothing."""

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from devstack.gateway import Gateway
from devstack.gateway_edge import EdgeSettings
from devstack.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

WAIT_SECONDS = 30  # an upper bound on the page's two calls, on a busy machine

# A consumer's page: a list, then a registration with a body users refuses (a
# JSON body from another origin: the browser sends a preflight first).
PAGE = """<!doctype html>
<html><head><title>calling</title></head><body><pre id="result"></pre>
<script>
const api = new URLSearchParams(location.search).get("api");
async function call(method, path, body) {
  try {
    const headers = body === undefined ? {} : {"Content-Type": "application/json"};
    const response = await fetch(api + path, {method, headers, body});
    return {
      status: response.status,
      body: await response.json(),
      requestId: response.headers.get("X-Request-ID"),
    };
  } catch (error) {
    return {error: String(error)};
  }
}
(async () => {
  const results = {
    list: await call("GET", "/api/users?limit=5"),
    invalid: await call("POST", "/api/users", JSON.stringify({name: "No Email"})),
  };
  document.getElementById("result").textContent = JSON.stringify(results);
  document.title = "done";
})();
</script></body></html>
"""


class _QuietPage(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No line per request on the test's output."""


def serve_page(folder: Path) -> Iterator[str]:
    """The page's own origin: a static server on a port of its own."""
    folder.mkdir()
    (folder / "index.html").write_text(PAGE)
    handler = partial(_QuietPage, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page_origin(tmp_path: Path) -> Iterator[str]:
    yield from serve_page(tmp_path / "page")


@pytest.fixture
def unlisted_origin(tmp_path: Path) -> Iterator[str]:
    yield from serve_page(tmp_path / "other")


@pytest.fixture
def gateway(tmp_path: Path, users_beside: str, page_origin: str) -> Iterator[Gateway]:
    """The gateway in front of a real users service, the page's origin allowed."""
    users = urlsplit(users_beside).netloc
    dead = f"127.0.0.1:{free_port()}"
    edge = EdgeSettings.from_environ({"GATEWAY_CORS_ORIGINS": page_origin})
    upstreams = {"users": users, "items": dead, "tasks": dead}
    with Gateway(tmp_path / "gw", f"127.0.0.1:{free_port()}", upstreams, edge=edge) as running:
        yield running


def results_of(browser: WebDriver, origin: str, gateway: Gateway) -> dict[str, Any]:
    browser.get(f"{origin}/index.html?api={gateway.url}")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.title == "done")
    result: dict[str, Any] = json.loads(browser.find_element(By.ID, "result").text)
    return result


def test_a_page_on_an_allowed_origin_reads_a_200_and_a_422(
    browser: WebDriver, gateway: Gateway, page_origin: str
) -> None:
    results = results_of(browser, page_origin, gateway)

    listed, invalid = results["list"], results["invalid"]
    assert listed["status"] == 200, results
    assert isinstance(listed["body"]["items"], list)
    assert listed["requestId"]  # an exposed header
    assert invalid["status"] == 422, results
    assert invalid["body"]["status"] == 422
    assert invalid["body"]["request_id"] == invalid["requestId"]


def test_a_page_on_another_origin_reads_nothing(
    browser: WebDriver, gateway: Gateway, unlisted_origin: str
) -> None:
    results = results_of(browser, unlisted_origin, gateway)

    assert results["list"] == {"error": "TypeError: Failed to fetch"}
    assert results["invalid"] == {"error": "TypeError: Failed to fetch"}
