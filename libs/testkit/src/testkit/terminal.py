"""A pseudo-terminal (python's pty module) to run a process or write a stream on: what
it shows is what a person at a terminal would see, escape sequences included."""

import contextlib
import os
import pty
import threading
import time
from typing import Self, TextIO


class Terminal:
    """The writing end (`slave_fd`, or `stream()`) is a terminal to whoever writes on
    it; everything written is read off the other end as it comes."""

    def __init__(self) -> None:
        self.master_fd, self.slave_fd = pty.openpty()
        self._output = bytearray()
        self._lock = threading.Lock()
        # Read all along: a terminal whose screen nobody reads blocks its writers.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master_fd, 65536)
            except OSError:  # closed, or every writer is gone
                return
            if not chunk:
                return
            with self._lock:
                self._output += chunk

    def stream(self) -> TextIO:
        """The writing end as a text stream (its own descriptor; close it when done)."""
        return open(os.dup(self.slave_fd), "w", encoding="utf-8", buffering=1)

    def text(self) -> str:
        """Everything shown so far, with the terminal's CR LF line ends as LF."""
        with self._lock:
            raw = bytes(self._output)
        return raw.decode(errors="replace").replace("\r\n", "\n")

    def wait_for(self, needle: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in (shown := self.text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not shown in {timeout} s:\n{shown[-4000:]}")
            time.sleep(0.05)
        return shown

    def close(self) -> None:
        for fd in (self.slave_fd, self.master_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._reader.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
