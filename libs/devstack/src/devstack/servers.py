"""Throwaway Postgres, MariaDB and Redis servers from the machine's own binaries.

Each server keeps its data in one directory and can be stopped and started again on the
same directory and port with its data intact (fault tests rely on that). They listen on
127.0.0.1 only and trade durability for speed: these are for development and tests.
"""

import contextlib
import hashlib
import os
import pwd
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, Self

from devstack.binaries import find_binary
from devstack.ports import accepts_connections, free_port, wait_until_closed
from devstack.probes import ensure_reachable
from devstack.processes import descendants, spawn, stop_leftover, tail, terminate, wait_stopped

__all__ = ["MariaDBServer", "PostgresServer", "RedisServer", "ServerError", "free_port"]

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    pass


def _running_as_root() -> bool:
    return os.geteuid() == 0


class LocalServer(ABC):
    kind: ClassVar[str]
    start_timeout: ClassVar[float] = 60.0

    def __init__(self, datadir: Path, port: int):
        self.datadir = Path(datadir).absolute()
        self.port = port

    @property
    @abstractmethod
    def url(self) -> str: ...

    @property
    def log_path(self) -> Path:
        return self.datadir / "server.log"

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def is_reachable(self, timeout: float = 1.0) -> bool:
        return ensure_reachable(self.url, timeout)

    @abstractmethod
    def main_pid(self) -> int:
        """The process id of the running server (its postmaster, for Postgres)."""

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Every process of the server stopped (SIGSTOP) inside the block and continued
        after it: a server that hangs rather than goes away. Its kernel still accepts
        connections and acknowledges what clients send; nothing answers."""
        main = self.main_pid()
        # The main process first: stopped, it starts no new process to miss.
        os.kill(main, signal.SIGSTOP)
        try:
            stopped = [main]
            for pid in descendants(main):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            for pid in stopped:
                wait_stopped(pid)
            yield
        finally:
            self.thaw()

    def thaw(self) -> None:
        """Continues every process of the server: the end of `frozen`, and a fixture's
        safety net when a test was cut short inside it (a frozen server cannot stop)."""
        try:
            main = self.main_pid()
        except ServerError:  # stopped meanwhile: nothing left to continue
            return
        for pid in [*descendants(main), main]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.datadir)!r}, port={self.port})"

    def _wait_until_closed(self) -> None:
        # Said, not assumed: a server that outlives its stop would be left running
        # after `make run` printed "stopped".
        if not wait_until_closed(HOST, self.port):
            raise self._error("still answers after it was stopped")

    def _error(self, what: str) -> ServerError:
        return ServerError(
            f"{self.kind} on {HOST}:{self.port} ({self.datadir}) {what}; "
            f"last lines of {self.log_path}:\n{tail(self.log_path)}"
        )

    def _require_free_port(self) -> None:
        # Otherwise the readiness probe could succeed against whoever holds the port.
        if accepts_connections(HOST, self.port, timeout=0.2):
            raise ServerError(f"cannot start {self.kind}: {HOST}:{self.port} is already in use")

    def _wait_until_reachable(self, alive: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.is_reachable():
                return
            if not alive():
                raise self._error("exited while starting")
            time.sleep(0.05)
        raise self._error(f"did not accept connections within {self.start_timeout:.0f}s")

    def _staging_dir(self) -> Path:
        """Initialise into a sibling, then rename: a half-initialised dir never looks done."""
        if self.datadir.exists() and any(self.datadir.iterdir()):
            raise ServerError(f"{self.datadir} is not empty and holds no {self.kind} data")
        self.datadir.parent.mkdir(parents=True, exist_ok=True)
        staging = self.datadir.with_name(self.datadir.name + ".initialising")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        return staging

    def _adopt(self, staging: Path) -> None:
        if self.datadir.exists():
            self.datadir.rmdir()
        staging.rename(self.datadir)


# Root's clusters whose data dir the postgres account could not reach (a clone under
# /root, mode 700) live here instead, one folder per data dir asked for.
RELOCATED_POSTGRES_PARENT = Path("/var/tmp")  # noqa: S108 - kept across reboots, o+x


def searchable_by_anyone(path: Path) -> bool:
    """Whether every existing folder above `path` lets any account pass (o+x)."""
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents if folder.exists())


def relocated_postgres_datadir(datadir: Path) -> Path:
    digest = hashlib.sha256(str(datadir).encode()).hexdigest()[:12]
    return RELOCATED_POSTGRES_PARENT / f"pyservices-postgres-{digest}"


def _postgres_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ServerError(
            f"{find_binary('initdb')} is installed but there is no postgres account, which "
            "runs the server when we are root (Postgres refuses root): create it "
            "(useradd --system postgres) or run as another user"
        ) from None


class PostgresServer(LocalServer):
    """A cluster run by `pg_ctl`, as the postgres user when we are root (Postgres refuses
    to run as root). That user must reach the data dir: with `relocate_private`, as root,
    one below a private folder (a clone under /root) moves to /var/tmp, linked from where
    it was asked for."""

    kind = "postgres"

    def __init__(self, datadir: Path, port: int, *, relocate_private: bool = False):
        super().__init__(datadir, port)
        # Asked for, and linked to the data dir when that had to move (see start). Only
        # where asked: a throwaway dir removed after use would leave the moved data behind.
        self.requested_datadir = self.datadir
        if relocate_private and _running_as_root() and not searchable_by_anyone(self.datadir):
            self.datadir = relocated_postgres_datadir(self.datadir)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/postgres"

    def _as_postgres(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if _running_as_root() else argv

    def _run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # Output to a file, not a pipe: the postmaster that pg_ctl forks must not hold our
        # pipe open, or we would wait for it forever.
        with tempfile.TemporaryFile() as output:
            completed = subprocess.run(  # noqa: S603 - argv built here
                self._as_postgres(argv),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.datadir.parent,  # a cwd the postgres user can enter
                start_new_session=True,  # Ctrl-C reaches the runner, not the postmaster
                timeout=timeout,
                check=False,
            )
            output.seek(0)
            text = output.read().decode(errors="replace")
        return subprocess.CompletedProcess(completed.args, completed.returncode, text)

    def _check_postgres_can_reach(self, folder: Path) -> None:
        if not _running_as_root():
            return
        probe = ["runuser", "-u", "postgres", "--", "test", "-x", str(folder)]
        reachable = subprocess.run(probe, check=False)  # noqa: S603 - argv built here
        if reachable.returncode != 0:
            raise ServerError(
                f"the postgres user cannot enter {folder}: pick a data dir whose parent "
                "folders are world-searchable (chmod o+x), e.g. under /tmp or the repo"
            )

    def _initialise(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            return
        # Found (as root: installed) first: the package is what makes the postgres account.
        initdb = find_binary("initdb")
        staging = self._staging_dir()
        try:
            if _running_as_root():
                account = _postgres_account()
                os.chown(staging, account.pw_uid, account.pw_gid)
            self._check_postgres_can_reach(staging)
        except (OSError, ServerError):
            shutil.rmtree(staging, ignore_errors=True)
            raise
        argv = [
            initdb,
            *("-D", str(staging), "-U", "postgres", "--auth=trust"),
            *("--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
        ]
        completed = self._run(argv)
        if completed.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ServerError(f"initdb failed for {self.datadir}:\n{completed.stdout}")
        self._adopt(staging)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([find_binary("pg_ctl"), "-D", str(self.datadir), *args])

    def _is_running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists() and self._pg_ctl("status").returncode == 0

    def _link_requested_datadir(self) -> None:
        """Where the data was asked to be, a link to where it is (`make clean` follows it)."""
        link = self.requested_datadir
        if link == self.datadir or link.is_symlink():
            return
        if link.is_dir() and not any(link.iterdir()):
            link.rmdir()
        if link.exists():
            raise ServerError(f"the postgres user cannot enter {link}: {link.parent} is private")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(self.datadir, target_is_directory=True)

    def main_pid(self) -> int:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            raise self._error("is not running") from None

    def start(self) -> None:
        self._link_requested_datadir()
        self._initialise()
        self._check_postgres_can_reach(self.datadir)
        if self._is_running():
            # Left behind by a run that was killed: pg_ctl's postmaster outlives its parent.
            self.stop()
        self._require_free_port()
        options = shlex.join(
            [
                *("-p", str(self.port), "-k", str(self.datadir)),
                *("-c", f"listen_addresses={HOST}", "-c", "fsync=off"),
                *("-c", "max_connections=300", "-c", "full_page_writes=off"),
            ]
        )
        started = self._pg_ctl("-l", str(self.log_path), "-w", "-t", "60", "-o", options, "start")
        if started.returncode != 0:
            raise self._error(f"failed to start:\n{started.stdout.strip()}")
        self._wait_until_reachable(alive=self._is_running)

    def stop(self) -> None:
        if not (self.datadir / "postmaster.pid").exists():
            return
        stopped = self._pg_ctl("-m", "fast", "-w", "-t", "60", "stop")
        if stopped.returncode != 0 and self._is_running():
            raise self._error(f"failed to stop:\n{stopped.stdout.strip()}")
        self._wait_until_closed()


class _ChildServer(LocalServer):
    """A server that runs in the foreground as our child process."""

    pid_file_name: ClassVar[str]

    def __init__(self, datadir: Path, port: int):
        super().__init__(datadir, port)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        return self.datadir / self.pid_file_name

    def _initialise(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)

    @abstractmethod
    def _argv(self) -> list[str]: ...

    def main_pid(self) -> int:
        if self._process is None or self._process.poll() is not None:
            raise self._error("is not running (or was started by another object)")
        return self._process.pid

    def start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._initialise()
        stop_leftover(self.pid_file, self.datadir)
        self._require_free_port()
        self._process = process = spawn(self._argv(), log=self.log_path, cwd=self.datadir)
        try:
            self._wait_until_reachable(alive=lambda: process.poll() is None)
        except ServerError:
            self.stop()
            raise

    def stop(self) -> None:
        if self._process is None:
            # Started by another object (or run) on the same data dir.
            stop_leftover(self.pid_file, self.datadir)
            return
        terminate(self._process, grace=30)
        self._process = None
        self._wait_until_closed()


class MariaDBServer(_ChildServer):
    kind = "mysql"
    pid_file_name = "mysqld.pid"

    @property
    def url(self) -> str:
        return f"mysql://root@{HOST}:{self.port}/"

    def _initialise(self) -> None:
        if (self.datadir / "mysql").is_dir():
            return
        staging = self._staging_dir()
        install = [
            find_binary("mariadb-install-db"),
            "--no-defaults",  # must come first; the machine's my.cnf is not ours
            f"--datadir={staging}",
            # root@localhost and root@127.0.0.1 with an empty password, usable over TCP.
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *(["--user=root"] if _running_as_root() else []),
        ]
        completed = subprocess.run(install, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            output = completed.stdout + completed.stderr
            raise ServerError(f"mariadb-install-db failed for {self.datadir}:\n{output}")
        self._adopt(staging)

    def _argv(self) -> list[str]:
        return [
            find_binary("mariadbd"),
            "--no-defaults",
            *(["--user=root"] if _running_as_root() else []),
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            f"--bind-address={HOST}",
            f"--socket={self.datadir / 'mysqld.sock'}",
            f"--pid-file={self.pid_file}",
            "--skip-name-resolve",  # the accounts are root@127.0.0.1 and root@localhost
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--innodb-flush-log-at-trx-commit=0",
            # Stop and start in about a second: no buffer pool dump or load.
            "--innodb-buffer-pool-dump-at-shutdown=0",
            "--innodb-buffer-pool-load-at-startup=0",
            "--max-connections=500",
        ]


class RedisServer(_ChildServer):
    """No persistence: Redis holds caches, counters and the Celery broker here."""

    kind = "redis"
    pid_file_name = "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _argv(self) -> list[str]:
        return [
            find_binary("redis-server"),
            *("--port", str(self.port), "--bind", HOST),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            *("--dir", str(self.datadir), "--pidfile", str(self.pid_file)),
        ]


SERVER_CLASSES: dict[str, type[LocalServer]] = {
    "postgres": PostgresServer,
    "mysql": MariaDBServer,
    "redis": RedisServer,
}


def kept_server(kind: str, datadir: Path, port: int) -> LocalServer:
    """A server whose data stays between runs (`make run`'s, under .data): as root, a
    Postgres data dir below a private folder moves to /var/tmp (`make clean` follows the
    link)."""
    if kind == "postgres":
        return PostgresServer(datadir, port, relocate_private=True)
    return SERVER_CLASSES[kind](datadir, port)
