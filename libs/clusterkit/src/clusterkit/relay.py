"""A TCP relay in a background thread: containers on a podman network reach a server
that listens on the host's loopback only (the machine's own Postgres, MariaDB, Redis)
through an address of the network's gateway. For tests; it relays bytes, nothing else.
"""

import asyncio
import contextlib
import threading
from typing import Self


class TcpRelay:
    def __init__(self, listen_host: str, target: tuple[str, int]):
        self.listen_host = listen_host
        self.target = target
        self.port = 0  # chosen by the kernel at start
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.port}"

    def start(self) -> None:
        started = threading.Event()
        failed: list[OSError] = []
        self._loop = loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._server = await asyncio.start_server(self._relay, self.listen_host, 0)
            self.port = self._server.sockets[0].getsockname()[1]

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(serve())
            except OSError as error:
                failed.append(error)
                return
            finally:
                started.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"relay-{self.target[1]}", daemon=True)
        self._thread.start()
        if not started.wait(10) or failed:
            self._loop = None
            reason = failed[0] if failed else "timed out"
            raise RuntimeError(f"no relay to {self.target} on {self.listen_host}: {reason}")

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            # The connections still relaying end here, in the loop, not at its close.
            running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(OSError):
            writer.close()
