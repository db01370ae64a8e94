"""Puts uv at `.tools/bin/uv` for `make` when uv is not on the PATH.

    python3 libs/devstack/src/devstack/uv_bootstrap.py .tools

Runs before any virtual environment exists, so it uses nothing but the standard
library and the machine's own Python. Debian and Ubuntu ship Python without `venv`'s
ensurepip (python3-venv) and often without pip: uv comes from PyPI through pip's
`--target` (no venv needed, and PEP 668 leaves `--target` alone); with no pip, root
installs Debian's python3-pip first and says so in one line, anyone else is told what
to install. uv never downloads a Python (the Makefile sets UV_PYTHON_DOWNLOADS=never).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

UV_VERSION = "0.13.8"
PIP_PACKAGE = "python3-pip"


class BootstrapError(RuntimeError):
    """What to do, in one line."""


def has_pip(python: str = sys.executable) -> bool:
    probe = [python, "-m", "pip", "--version"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0  # noqa: S603


def _apt_install(package: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        # A fresh machine (or container) has no package lists yet.
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)  # noqa: S607
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BootstrapError(f"apt-get install {package} failed:\n{done.stdout}{done.stderr}")


def ensure_pip(python: str = sys.executable) -> None:
    """pip for `python`; as root on Debian or Ubuntu, installed with apt-get."""
    if has_pip(python):
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BootstrapError(
            f"make needs uv or pip to bootstrap uv: run `sudo apt-get install {PIP_PACKAGE}` "
            "(or install uv: https://docs.astral.sh/uv/), then make again"
        )
    print(f"make: no pip for {python}: installing Debian's {PIP_PACKAGE} with apt-get", flush=True)
    _apt_install(PIP_PACKAGE)
    if not has_pip(python):
        raise BootstrapError(f"{PIP_PACKAGE} is installed but `{python} -m pip` still fails")


def install_uv(tools: Path, python: str = sys.executable, version: str = UV_VERSION) -> Path:
    """uv `version` under `tools/uv-<version>`, linked as `tools/bin/uv`; its path."""
    ensure_pip(python)
    target = tools / f"uv-{version}"
    if not (target / "bin" / "uv").exists():
        # Into a sibling first: an interrupted install never looks finished.
        partial = tools / f"uv-{version}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        pip += ["--root-user-action=ignore", "--target", str(partial), f"uv=={version}"]
        if subprocess.run(pip, check=False).returncode != 0:  # noqa: S603
            raise BootstrapError(f"pip could not install uv=={version} (output above)")
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    link = tools / "bin" / "uv"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(Path("..") / target.name / "bin" / "uv")
    return link


def main(argv: list[str]) -> int:
    tools = Path(argv[1] if len(argv) > 1 else ".tools")
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the machine has
        found = ".".join(map(str, sys.version_info[:2]))
        print(f"make needs Python 3.11 or newer as python3 (this one is {found})", file=sys.stderr)
        return 1
    try:
        uv = install_uv(tools)
    except BootstrapError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"make: uv {UV_VERSION} installed at {uv}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
