"""`make`'s uv bootstrap (devstack/uv_bootstrap.py) on a Python without pip, as a user
who cannot install one: one line saying what to install, nothing half-made. (With pip,
tests/test_make_targets.py bootstraps uv on every fresh clone; as root without pip or
venv, tests/test_fresh_machine.py.)"""

import ast
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.layout import repo_root

BOOTSTRAP = repo_root() / "libs" / "devstack" / "src" / "devstack" / "uv_bootstrap.py"


# Debian's own: another user can run it (pyenv's and the like live under a private home).
DEBIAN_PYTHON = Path("/usr/bin/python3")


@pytest.fixture
def python_without_pip() -> Iterator[Path]:
    if not DEBIAN_PYTHON.exists():
        pytest.skip(f"no {DEBIAN_PYTHON} to make a pip-less Python from")
    folder = Path(tempfile.mkdtemp(prefix="pip-less-"))
    folder.chmod(0o755)  # pytest's tmp_path is private; nobody runs this
    home = folder / "python"
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", "--without-pip", str(home)], check=True)
    yield home / "bin" / "python"
    shutil.rmtree(folder, ignore_errors=True)


def as_another_user(argv: list[str]) -> list[str]:
    """Root runs it as nobody: root would install pip instead."""
    return ["runuser", "-u", "nobody", "--", *argv] if os.geteuid() == 0 else argv


def test_without_pip_a_user_is_told_what_to_install_in_one_line(python_without_pip: Path) -> None:
    tools = python_without_pip.parents[2] / "tools"
    tools.mkdir()
    tools.chmod(0o777)  # nobody may write there: only pip is missing

    done = subprocess.run(
        as_another_user([str(python_without_pip), "-I", str(BOOTSTRAP), str(tools)]),
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "apt-get install python3-pip" in done.stderr
    assert list(tools.iterdir()) == []


def test_it_imports_the_standard_library_alone() -> None:
    """It runs before any venv exists, on whatever python3 the machine has."""
    nodes = list(ast.walk(ast.parse(BOOTSTRAP.read_text())))
    imported = {a.name for node in nodes if isinstance(node, ast.Import) for a in node.names}
    imported |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}

    assert imported
    assert {name.split(".")[0] for name in imported} <= sys.stdlib_module_names
