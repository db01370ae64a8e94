"""`make lint` type-checks with the root pyproject's mypy settings: a wrong type passed across
a module boundary fails the check, a right one passes."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TYPED_CALLEE = "def double(x: int) -> int:\n    return x * 2\n"

pytestmark = pytest.mark.timeout(120)


def _mypy(
    tmp_path: Path, call: str, callee: str = TYPED_CALLEE
) -> subprocess.CompletedProcess[str]:
    package = tmp_path / "boundary"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "callee.py").write_text(callee)
    (package / "caller.py").write_text(
        f"from boundary.callee import double\n\n\ndef use() -> int:\n    return {call}\n"
    )
    config = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "c")]
    return subprocess.run(
        [sys.executable, "-m", "mypy", *config, str(package)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_a_wrong_type_across_modules_fails_the_check(tmp_path: Path) -> None:
    result = _mypy(tmp_path, 'double("a")')
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Argument 1 to "double" has incompatible type "str"; expected "int"' in result.stdout
    assert "boundary/caller.py:5: error" in result.stdout


def test_the_right_type_passes(tmp_path: Path) -> None:
    result = _mypy(tmp_path, "double(2)")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_def_without_annotations_fails_the_check(tmp_path: Path) -> None:
    result = _mypy(tmp_path, "double(2)", callee="def double(x):\n    return x * 2\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[no-untyped-def]" in result.stdout
