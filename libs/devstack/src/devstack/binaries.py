"""Finding the server binaries of the machine, installing them on Debian when we may."""

import glob
import os
import shutil
import subprocess

# The Debian package that ships each binary; nginx-light first, it is all the gateway needs.
PACKAGES: dict[str, tuple[str, ...]] = {
    "initdb": ("postgresql",),
    "pg_ctl": ("postgresql",),
    "mariadb-install-db": ("mariadb-server",),
    "mariadbd": ("mariadb-server",),
    "redis-server": ("redis-server",),
    "nginx": ("nginx-light", "nginx"),
    "prometheus": ("prometheus",),
    "promtool": ("prometheus",),
}

# Debian keeps these off PATH: the server daemons in sbin, Postgres per major version.
_EXTRA_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")


class MissingBinary(RuntimeError):
    pass


def _search_path() -> str:
    postgres = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(path.split("/")[-2]) if path.split("/")[-2].isdigit() else 0,
        reverse=True,
    )
    return os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_DIRS, *postgres])


def _install(packages: tuple[str, ...]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for package in packages:
        install = ["apt-get", "install", "-y", "--no-install-recommends", package]
        if subprocess.run(install, env=env, check=False).returncode == 0:  # noqa: S603
            return
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, check=False)  # noqa: S607
        if subprocess.run(install, env=env, check=False).returncode == 0:  # noqa: S603
            return


def find_binary(name: str, packages: tuple[str, ...] | None = None) -> str:
    """The absolute path of `name`; as root, apt-get installs it first if it is missing."""
    packages = packages or PACKAGES.get(name, (name,))
    found = shutil.which(name, path=_search_path())
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _install(packages)
        found = shutil.which(name, path=_search_path())
        if found:
            return found
    raise MissingBinary(
        f"{name} is not installed; install it with: sudo apt-get install -y {packages[0]}"
    )
