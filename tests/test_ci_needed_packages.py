"""`.ci/run` installs a package only when the programs it brings are missing, and counts
PostgreSQL as installed by its server binaries, never by the psql client. Run against a
made-up root (ROOT) with a PATH of its own."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "needed-packages"
POSTGRES_SERVER = ("initdb", "pg_ctl", "postgres")
# Every program the other packages are known by, as Debian installs them.
OTHER_PROGRAMS = (
    "usr/sbin/nginx",
    "usr/bin/make",
    "usr/sbin/mariadbd",
    "usr/bin/mariadb-install-db",
    "usr/bin/redis-server",
    "usr/bin/prometheus",
    "usr/bin/promtool",
    "usr/bin/chromium",
    "usr/bin/chromedriver",
)


def executable(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)


def needed(root: Path) -> list[str]:
    path = f"{root}/usr/bin:{root}/usr/sbin"
    done = subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={"ROOT": str(root), "PATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A root with every program but PostgreSQL's."""
    for program in OTHER_PROGRAMS:
        executable(tmp_path / program)
    return tmp_path


def test_a_machine_with_everything_needs_nothing(machine: Path) -> None:
    for name in POSTGRES_SERVER:
        executable(machine / "usr" / "lib" / "postgresql" / "15" / "bin" / name)

    assert needed(machine) == []


def test_the_psql_client_alone_is_no_postgres_server(machine: Path) -> None:
    executable(machine / "usr" / "bin" / "psql")

    assert needed(machine) == ["postgresql"]


@pytest.mark.parametrize("major", ["15", "17"])
def test_postgres_server_binaries_of_any_major_count_as_installed(
    machine: Path, major: str
) -> None:
    for name in POSTGRES_SERVER:
        executable(machine / "usr" / "lib" / "postgresql" / major / "bin" / name)

    assert "postgresql" not in needed(machine)


def test_a_server_without_initdb_is_installed_again(machine: Path) -> None:
    bin_dir = machine / "usr" / "lib" / "postgresql" / "15" / "bin"
    executable(bin_dir / "pg_ctl")
    executable(bin_dir / "postgres")

    assert needed(machine) == ["postgresql"]


def test_a_bare_machine_needs_one_package_a_line(tmp_path: Path) -> None:
    assert needed(tmp_path) == [
        "nginx-light",
        "make",
        "postgresql",
        "mariadb-server",
        "redis-server",
        "prometheus",
        "chromium",
        "chromium-driver",
    ]


def test_ci_run_installs_what_the_script_names() -> None:
    run = (ROOT / ".ci" / "run").read_text()

    assert "bash .ci/needed-packages" in run
    assert "psql" not in run
