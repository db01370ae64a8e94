"""What compression costs and saves at the gateway: bytes on the wire and nginx's worker
CPU per request for one path (users' 50-row page by default), identity against gzip.

    make run    # or any users service with 50 rows or more, given as --upstream
    python -m loadtest.gateway_cost --upstream 127.0.0.1:8001 --requests 2000 --rounds 5

Each case has a gateway of its own (the real template, as `make run` renders it) in
front of the upstream; after a warm-up, the cases take turns, round after round, each
sending its requests one after another over one keep-alive connection, and the CPU
time nginx's workers spent meanwhile is read (/proc/<pid>/schedstat: nanoseconds on a
CPU, the kernel's work of sending included). Bytes are counted as received: status
line, headers and body (chunked framing included). A measurement, not a test: the
numbers go to docs/api.md, "Gateway settings", with the date and the machine.
"""

import argparse
import contextlib
import socket
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.gateway import Gateway
from devstack.gateway_edge import EdgeSettings
from devstack.ports import free_port

WARMUP_REQUESTS = 200


@dataclass(frozen=True)
class Case:
    label: str
    accept_encoding: str | None
    gzip_level: str = "1"


CASES = (
    Case("identity (no Accept-Encoding)", None),
    Case("gzip level 1 (the default)", "gzip", "1"),
    Case("gzip level 6", "gzip", "6"),
)


@dataclass(frozen=True)
class Reading:
    case: Case
    body_bytes: int  # of the last answer, as sent
    wire_bytes: int  # status line, headers and body of the last answer
    cpu_us_per_request: float  # the median round's
    cpu_us_range: tuple[float, float]  # the cheapest and the dearest round's


class RawClient:
    """A keep-alive HTTP/1.1 connection (opened again when nginx closes it, after its
    keepalive_requests); each answer's bytes exactly as received."""

    def __init__(self, address: str):
        host, port = address.rsplit(":", 1)
        self.address = (host, int(port))
        self._connect()

    def _connect(self) -> None:
        self.socket = socket.create_connection(self.address, timeout=30)
        self.buffer = b""

    def close(self) -> None:
        self.socket.close()

    def _fill(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the gateway closed the connection")
        self.buffer += chunk

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"

    def get(self, path: str, accept_encoding: str | None) -> tuple[int, int, int]:
        """(status, body bytes, bytes on the wire) of one GET."""
        headers = "Host: gateway\r\n"
        if accept_encoding:
            headers += f"Accept-Encoding: {accept_encoding}\r\n"
        self.socket.sendall(f"GET {path} HTTP/1.1\r\n{headers}\r\n".encode("ascii"))
        head = [self._line()]
        while head[-1] != b"\r\n":
            head.append(self._line())
        status = int(head[0].split()[1])
        fields = dict(
            line.decode("latin-1").rstrip("\r\n").lower().split(": ", 1) for line in head[1:-1]
        )
        wire = sum(len(line) for line in head)
        if fields.get("transfer-encoding") == "chunked":
            body = 0
            while True:
                size_line = self._line()
                size = int(size_line.split(b";")[0], 16)
                wire += len(size_line) + len(self._take(size + 2))
                body += size
                if size == 0:
                    break
        else:
            body = int(fields.get("content-length", "0"))
            wire += len(self._take(body))
        if fields.get("connection") == "close":
            self.close()
            self._connect()
        return status, body, wire


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (comm) state ppid ...": comm may hold blanks, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def workers_cpu_ns(master: int) -> int:
    """CPU time so far of the master's workers, in nanoseconds."""
    return sum(
        int(Path(f"/proc/{worker}/schedstat").read_text().split()[0])
        for worker in _children(master)
    )


@contextlib.contextmanager
def gateway_for(case: Case, upstream: str, folder: Path) -> Iterator[Gateway]:
    edge = EdgeSettings.from_environ({"GATEWAY_GZIP_LEVEL": case.gzip_level})
    upstreams = dict.fromkeys(("users", "items", "tasks"), upstream)
    with Gateway(folder, f"127.0.0.1:{free_port()}", upstreams, edge=edge) as gateway:
        yield gateway


def measure(upstream: str, path: str, requests: int, rounds: int, folder: Path) -> list[Reading]:
    """Every case's gateway runs at once; the rounds take turns between them, so a
    change in the machine's load weighs on each alike. CPU: the median round's."""
    with contextlib.ExitStack() as running:
        gateways = [
            running.enter_context(gateway_for(case, upstream, folder / str(index)))
            for index, case in enumerate(CASES)
        ]
        for case, gateway in zip(CASES, gateways, strict=True):
            with contextlib.closing(RawClient(gateway.listen)) as client:
                for _ in range(WARMUP_REQUESTS):
                    client.get(path, case.accept_encoding)
        spent: list[list[int]] = [[] for _ in CASES]
        last: list[tuple[int, int]] = [(0, 0)] * len(CASES)
        for _ in range(rounds):
            for index, (case, gateway) in enumerate(zip(CASES, gateways, strict=True)):
                # A connection of its own per turn: nginx closes one idle for 10 s.
                with contextlib.closing(RawClient(gateway.listen)) as client:
                    before = workers_cpu_ns(gateway.pid or 0)
                    for _ in range(requests):
                        status, body, wire = client.get(path, case.accept_encoding)
                        if status != 200:
                            raise RuntimeError(f"GET {path}: {status}")
                    spent[index].append(workers_cpu_ns(gateway.pid or 0) - before)
                last[index] = (body, wire)
    per_request = [[n / requests / 1000 for n in ns] for ns in spent]
    return [
        Reading(case, body, wire, statistics.median(us), (min(us), max(us)))
        for case, (body, wire), us in zip(CASES, last, per_request, strict=True)
    ]


def table(readings: Sequence[Reading]) -> str:
    rows = [
        "| answer | body bytes | bytes on the wire | nginx worker CPU per request "
        "(median round) | cheapest - dearest round |",
        "|---|---:|---:|---:|---:|",
    ]
    rows += [
        f"| {r.case.label} | {r.body_bytes} | {r.wire_bytes} | {r.cpu_us_per_request:.0f} µs "
        f"| {r.cpu_us_range[0]:.0f} - {r.cpu_us_range[1]:.0f} µs |"
        for r in readings
    ]
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.gateway_cost", description=__doc__)
    parser.add_argument("--upstream", default="127.0.0.1:8001", help="the users service")
    parser.add_argument("--path", default="/api/users", help="default: a 50-row page")
    parser.add_argument("--requests", type=int, default=2000, help="per case and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gateway-cost-") as folder:
        Path(folder).chmod(0o755)  # nginx workers run as another user
        readings = measure(args.upstream, args.path, args.requests, args.rounds, Path(folder))
    print(
        f"GET {args.path}: {args.rounds} rounds of {args.requests} requests per answer, "
        "one keep-alive connection each; CPU of the median round"
    )
    print(table(readings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
