"""One `make run` per checkout: a second one would fight the first over ports and data."""

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Self


class AlreadyRunning(RuntimeError):
    def __init__(self, pid: int | None):
        self.pid = pid
        holder = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"make run is already running ({holder}); stop it with Ctrl-C there")


class RunLock:
    """An exclusive flock on `path`, holding the owner's pid for the error message.

    The kernel releases the lock when its holder dies, however it dies, so a crashed run
    never blocks the next one. The file itself stays: deleting a lock file races with
    whoever opens it next.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(self._holder()) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def _holder(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None  # it has the lock but has not written its pid yet

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
