import os

import pytest

from devstack.binaries import MissingBinary, find_binary


@pytest.mark.parametrize("name", ["initdb", "pg_ctl", "mariadbd", "redis-server", "nginx"])
def test_finds_server_binaries_off_the_path(name: str) -> None:
    # Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<major>/bin, nginx in /usr/sbin.
    found = find_binary(name)
    assert os.path.isabs(found)
    assert os.access(found, os.X_OK)


def test_a_missing_binary_names_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # not root: no apt-get attempt
    with pytest.raises(MissingBinary, match=r"sudo apt-get install -y nginx-light$"):
        find_binary("devstack-no-such-binary", ("nginx-light", "nginx"))
