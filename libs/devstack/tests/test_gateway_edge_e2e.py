"""Compression of real answers: the users service's 50-row page through the gateway as
`make run` starts it (test_gateway_edge.py covers the rules against a stand-in)."""

import gzip
import http.client
import json
from urllib.parse import urlsplit

import pytest

from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def get(stack: LocalStack, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    """Raw: http.client does not decompress."""
    url = urlsplit(stack.gateway_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    connection.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
    response = connection.getresponse()
    return response, response.read()


@pytest.mark.parametrize("api", ["/api", "/sync/api"])
def test_a_50_row_users_page_is_gzip_when_asked_and_identity_when_not(
    local_stack: LocalStack, api: str
) -> None:
    plain, identity = get(local_stack, f"{api}/users")
    packed, compressed = get(local_stack, f"{api}/users", Accept_Encoding="gzip")

    assert (plain.status, packed.status) == (200, 200)
    assert len(json.loads(identity)["items"]) == 50
    assert plain.getheader("Content-Encoding") is None
    assert packed.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(compressed)) == json.loads(identity)
    assert len(compressed) < len(identity) / 2
    for response in (plain, packed):
        assert "Accept-Encoding" in (response.getheader("Vary") or "")


def test_a_single_profile_is_too_small_to_compress(local_stack: LocalStack) -> None:
    response, body = get(local_stack, "/api/users/1", Accept_Encoding="gzip")

    assert response.status == 200
    assert len(body) < 1024
    assert response.getheader("Content-Encoding") is None
