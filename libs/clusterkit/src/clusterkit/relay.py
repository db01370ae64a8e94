"""A TCP relay in a process of its own: containers on a podman network reach a server
that listens on the host's loopback only (the machine's own Postgres, MariaDB, Redis)
through an address of the network's gateway. For tests; it relays bytes, nothing else.

A process, not a thread of the test run: in a thread it shared the test process's GIL
and CPU with whatever else a long run had started, and on a busy CI machine the pods'
new connections through it missed their 1-2 s connect timeouts. Its log (one line per
connection it could not make, or made slowly) is what a failing play test shows.
"""

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

from devstack.processes import spawn, tail, terminate

_LISTENING = "listening on port "
# A connection to the target slower than this is logged: the pods give up after 1-2 s.
_SLOW_SECONDS = 0.5


class TcpRelay:
    def __init__(self, listen_host: str, target: tuple[str, int]):
        self.listen_host = listen_host
        self.target = target
        self.port = 0  # chosen by the kernel at start
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.log: Path | None = None

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The relay's process, while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 10.0) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="relay-")
        self.log = Path(self._folder.name) / "relay.log"
        host, port = self.target
        argv = [sys.executable, "-m", "clusterkit.relay", self.listen_host, host, str(port)]
        self._process = spawn(argv, log=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._process.poll() is None:
            first = self.log.read_text().partition("\n")[0]
            if first.startswith(_LISTENING):
                self.port = int(first.removeprefix(_LISTENING))
                return
            time.sleep(0.02)
        said = tail(self.log)
        self.stop()
        raise RuntimeError(f"no relay to {self.target} on {self.listen_host}: {said}")

    def log_tail(self) -> str:
        return tail(self.log) if self.log is not None else ""

    def stop(self) -> None:
        if self._process is not None:
            terminate(self._process, grace=5)
            self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


async def _serve(listen_host: str, target: tuple[str, int]) -> None:
    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        except OSError as error:
            print(f"to {target}: {error!r}", flush=True)
            writer.close()
            return
        took = time.monotonic() - started
        if took > _SLOW_SECONDS:
            print(f"to {target}: connected after {took:.2f} s", flush=True)
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )

    server = await asyncio.start_server(relay, listen_host, 0)
    print(f"{_LISTENING}{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(OSError):
            writer.close()


def main(argv: list[str]) -> None:
    listen_host, target_host, target_port = argv
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(listen_host, (target_host, int(target_port))))


if __name__ == "__main__":
    main(sys.argv[1:])
