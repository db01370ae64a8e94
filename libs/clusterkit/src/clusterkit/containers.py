"""Running the project's images as a cluster would, for tests: podman (or docker) with
the host's network, a read-only root filesystem and a tmpfs at /tmp (the chart's
emptyDir). Every container is known by its id, and removed by it."""

import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass
class Container:
    tool: str
    id: str

    def logs(self) -> str:
        done = subprocess.run(  # noqa: S603
            [self.tool, "logs", self.id], capture_output=True, text=True, check=False
        )
        return done.stdout + done.stderr

    def exec(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [self.tool, "exec", self.id, *argv], capture_output=True, text=True, check=False
        )

    def running(self) -> bool:
        return self.inspect("{{.State.Running}}") == "true"

    def inspect(self, template: str) -> str:
        done = subprocess.run(  # noqa: S603
            [self.tool, "container", "inspect", "--format", template, self.id],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def signal(self, name: str) -> None:
        subprocess.run(  # noqa: S603
            [self.tool, "kill", "--signal", name, self.id],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )

    def wait(self, timeout: float) -> int | None:
        """The exit code once it stops; None if it still runs after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return int(self.inspect("{{.State.ExitCode}}"))
            time.sleep(0.1)
        return None

    def remove(self) -> None:
        subprocess.run(  # noqa: S603
            [self.tool, "rm", "--force", self.id],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def cluster_like_options(env: Mapping[str, str]) -> list[str]:
    """What every container of a test gets: the host's network (the machine's databases
    listen on loopback), a read-only root, /tmp as a tmpfs, and `env`."""
    options = ["--network", "host", "--read-only", "--tmpfs", "/tmp:rw,mode=1777"]  # noqa: S108
    for name, value in env.items():
        options += ["--env", f"{name}={value}"]
    return options


def start(
    tool: str, image: str, command: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Container:
    """The image running detached; `command` replaces its CMD when given."""
    argv = [tool, "run", "--detach", *cluster_like_options(env or {}), image, *command]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)  # noqa: S603
    return Container(tool, done.stdout.strip())


def run_once(
    tool: str,
    image: str,
    command: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The image run to its end in the foreground (a migration, a seed, a headless run)."""
    argv = [tool, "run", "--rm", *cluster_like_options(env or {}), image, *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603


def image_command(tool: str, image: str) -> list[str]:
    """The image's CMD."""
    done = subprocess.run(  # noqa: S603
        [tool, "image", "inspect", "--format", "{{json .Config.Cmd}}", image],
        capture_output=True,
        text=True,
        check=True,
    )
    argv: list[str] = json.loads(done.stdout)
    return argv


def image_user(tool: str, image: str) -> str:
    done = subprocess.run(  # noqa: S603
        [tool, "image", "inspect", "--format", "{{.Config.User}}", image],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def with_option(command: Sequence[str], option: str, value: str) -> list[str]:
    """`command` with the value after `option` replaced: the image's own CMD on another
    port, so that containers sharing the host's network do not collide."""
    changed = list(command)
    changed[changed.index(option) + 1] = value
    return changed
