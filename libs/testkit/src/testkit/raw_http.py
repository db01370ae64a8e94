"""HTTP/1.1 straight off the socket, for what a general-purpose client cannot do.

Many concurrent clients that cost next to nothing (`get_statuses`), for tests that must
put a server under real concurrency without the client becoming what is measured; and
one request sent byte for byte as written (`exchange`), for requests no client would
send (an unknown method, a broken request line).

A general-purpose client (httpx) spends milliseconds of Python per request on pools,
models and headers, so 256 connections from one test process top out near 20
requests/s while the server idles. Here each client is one keep-alive connection
writing a request line and reading the status, the headers and a Content-Length or
chunked body straight off the socket: thousands of requests per second from one core.
"""

import asyncio
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


async def get_statuses(base_url: str, paths: Sequence[str], connections: int) -> list[int]:
    """GETs every path, `connections` at a time, each connection sending its share one
    after another; returns the status of each path, in order. No client-side timeout:
    a request the server never answers hangs the caller (the test's own timeout)."""
    url = urlsplit(base_url)
    statuses = [0] * len(paths)

    async def client(first: int) -> None:
        connection = None
        try:
            for index in range(first, len(paths), connections):
                if connection is None:
                    connection = await asyncio.open_connection(url.hostname, url.port)
                reader, writer = connection
                request = f"GET {paths[index]} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n"
                writer.write(request.encode("ascii"))
                await writer.drain()
                statuses[index], keep_alive = await _read_response(reader)
                if not keep_alive:
                    writer.close()
                    connection = None
        finally:
            if connection is not None:
                connection[1].close()

    await asyncio.gather(*(client(first) for first in range(min(connections, len(paths)))))
    return statuses


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, whether the connection stays open), the body read and dropped."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # the empty trailer section
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def exchange(address: str, request: bytes, timeout: float = 10.0) -> RawResponse:
    """Sends `request` to `address` ("host:port") exactly as given, then reads the answer
    until the server closes the connection (ask for `Connection: close`, or send what it
    refuses: it closes after an error)."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split(" ", 2)[1]), headers, body)
