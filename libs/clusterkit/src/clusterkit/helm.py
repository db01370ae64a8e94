"""The chart rendered by the real `helm` binary, for tests and the smoke run.

helm comes from HELM, the PATH, or `.tools/bin/helm` (`make chart-test` fetches one
there with charts/fetch-helm when none is installed).
"""

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from devstack.layout import repo_root

CHART = "charts/pyservices"


class NoHelm(RuntimeError):
    pass


def find_helm() -> str:
    for candidate in (
        os.environ.get("HELM"),
        shutil.which("helm"),
        repo_root() / ".tools/bin/helm",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise NoHelm("no helm: install it, or run `make chart-test`, which fetches one")


def chart_dir() -> Path:
    return repo_root() / CHART


def template(
    values_files: Iterable[str | Path] = (),
    values: Mapping[str, str] | None = None,
    release: str = "pyservices",
    namespace: str = "pyservices",
) -> list[dict[str, Any]]:
    """The objects `helm template` renders, with these value files and `--set`s."""
    argv = [find_helm(), "template", release, str(chart_dir()), "--namespace", namespace]
    for path in values_files:
        argv += ["--values", str(path)]
    for key, value in (values or {}).items():
        argv += ["--set", f"{key}={value}"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RenderError(done.stderr.strip())
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


class RenderError(RuntimeError):
    """helm refused the values: the message is helm's (schema or `fail`)."""
