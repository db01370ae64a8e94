"""clusterkit.apt_sources reads a machine's apt sources as apt itself does (apt-get, pointed
at a made-up root, is the reference), and .ci/podman-setup takes its Debian archive from
it instead of an address of its own."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clusterkit.apt_sources import NoSource, mirror, sources
from devstack.layout import repo_root

ROOT = repo_root()
MODULE = ROOT / "libs" / "clusterkit" / "src" / "clusterkit" / "apt_sources.py"
# The interpreter the workspace's venv was made from: python3 outside any venv.
MACHINE_PYTHON = str(Path(sys.base_prefix) / "bin" / "python3")


def _machines_archive() -> str:
    """The first archive this machine's own apt reads (apt-get is the reference): the
    made-up sources below are written around it, so no address lives in the repository."""
    done = subprocess.run(
        ["apt-get", "indextargets", "--no-release-info", "--format", "$(REPO_URI)"],
        capture_output=True,
        text=True,
        check=False,
    )
    uris = [line.rstrip("/") for line in done.stdout.split() if "://" in line]
    if not uris:
        pytest.skip("this machine's apt reads no archive", allow_module_level=True)
    return uris[0]


ARCHIVE = _machines_archive()
# Other sources, told apart by their paths; one on https.
SOURCES = f"{ARCHIVE}-sources"
SWITCHED_OFF = f"{ARCHIVE}-switched-off"
SECURITY = "https://" + ARCHIVE.split("://", 1)[1] + "-security"
IGNORED = f"{ARCHIVE}-ignored"

ONE_LINE = f"""\
# the archive, with options
deb [arch=amd64 signed-by=/usr/share/keyrings/archive.gpg] {ARCHIVE}/ \
bookworm main contrib
deb-src {SOURCES} bookworm main
deb {ARCHIVE} bookworm-updates main  # a trailing comment
"""
DEB822 = f"""\
Types: deb
URIs: {SWITCHED_OFF}
Suites: bookworm
Components: main
Enabled: no

Types: deb deb-src
# a comment inside a paragraph
URIs: {SECURITY}
Suites: bookworm-security
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def machine(tmp_path: Path, files: dict[str, str]) -> Path:
    """A root whose /etc/apt holds `files` (paths relative to /etc/apt)."""
    for name, text in files.items():
        path = tmp_path / "etc" / "apt" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "etc" / "apt" / "sources.list.d").mkdir(exist_ok=True)
    return tmp_path


def apts_reading(root: Path) -> set[tuple[str, str, str, str]]:
    """(type, uri, suite, component) of every source, as apt-get reads them under `root`."""
    fields = "$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)"
    apt = ["apt-get", "-o", f"Dir={root}", "-o", "Dir::State::status=/dev/null"]
    done = subprocess.run(
        [*apt, "indextargets", "--no-release-info", "--format", fields],
        capture_output=True,
        text=True,
        check=True,
    )
    return {tuple(line.split()) for line in done.stdout.splitlines() if line.strip()}  # type: ignore[misc]


def ours(root: Path) -> set[tuple[str, str, str, str]]:
    return {
        (kind, uri.rstrip("/") + "/", suite, component)
        for source in sources(root)
        for kind in source.types
        for uri in source.uris
        for suite in source.suites
        for component in source.components
    }


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="apt-get is the reference")
@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"sources.list": ONE_LINE}, id="sources.list"),
        pytest.param({"sources.list.d/debian.sources": DEB822}, id="deb822"),
        pytest.param(
            {
                "sources.list.d/archive.list": ONE_LINE,
                "sources.list.d/security.sources": DEB822,
                "sources.list.d/old.list.disabled": f"deb {IGNORED} bookworm main\n",
                "sources.list.d/backup.sources.bak": DEB822.replace(SECURITY, IGNORED),
            },
            id="sources.list.d",
        ),
    ],
)
def test_sources_are_what_apt_reads(tmp_path: Path, files: dict[str, Any]) -> None:
    root = machine(tmp_path, files)

    assert ours(root) == apts_reading(root)


def test_the_mirror_is_the_first_archive_serving_the_suites_main(tmp_path: Path) -> None:
    root = machine(tmp_path, {"sources.list": ONE_LINE, "sources.list.d/security.sources": DEB822})

    assert mirror("bookworm", root) == ARCHIVE
    assert mirror("bookworm-security", root) == SECURITY


def test_keyrings_are_the_files_named_for_each_source(tmp_path: Path) -> None:
    root = machine(tmp_path, {"sources.list": ONE_LINE, "sources.list.d/security.sources": DEB822})

    keyrings = {source.uris[0]: source.keyrings for source in sources(root)}

    assert keyrings[f"{ARCHIVE}/"] == ("/usr/share/keyrings/archive.gpg",)
    assert keyrings[SECURITY] == ("/usr/share/keyrings/debian-archive-keyring.gpg",)


def test_a_suite_no_source_serves_is_one_line_naming_it(tmp_path: Path) -> None:
    root = machine(tmp_path, {"sources.list.d/security.sources": DEB822})

    with pytest.raises(NoSource, match="bookworm main"):
        mirror("bookworm", root)
    done = subprocess.run(
        [sys.executable, str(MODULE), "--root", str(root), "mirror", "noble"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_module_runs_without_the_workspace(tmp_path: Path) -> None:
    """As .ci/podman-setup runs it: the machine's python3, no venv, no devstack import."""
    root = machine(tmp_path, {"sources.list": ONE_LINE})
    done = subprocess.run(
        [MACHINE_PYTHON, "-I", str(MODULE), "--root", str(root), "mirror", "bookworm"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == f"{ARCHIVE}\n"


def test_podman_setup_takes_the_archive_from_the_machines_apt_sources() -> None:
    setup = (ROOT / ".ci" / "podman-setup").read_text()
    code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("#"))

    assert not re.search(r"\w+://", code), "an archive's address written into .ci/podman-setup"
    assert "apt_sources.py mirror bookworm" in code
    debootstrap = code[code.index("debootstrap --variant") :].split(">/dev/null")[0]
    assert '"$mirror"' in debootstrap
