"""Where things live in the repository checkout."""

import tomllib
from pathlib import Path


def _is_workspace_root(folder: Path) -> bool:
    try:
        with (folder / "pyproject.toml").open("rb") as handle:
            return "workspace" in tomllib.load(handle).get("tool", {}).get("uv", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def repo_root() -> Path:
    """The uv workspace root: found from this module (an editable install), else the cwd."""
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for folder in (start, *start.parents):
            if _is_workspace_root(folder):
                return folder
    raise RuntimeError("not inside the repository: no pyproject.toml with [tool.uv.workspace]")


def data_dir() -> Path:
    """Git-ignored state of `make run`: server data, keys, the gateway's runtime files."""
    return repo_root() / ".data"


def gateway_template() -> Path:
    return repo_root() / "gateway" / "nginx.conf.template"
