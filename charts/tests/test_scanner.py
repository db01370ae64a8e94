"""A maintained Kubernetes misconfiguration scanner (checkov, from PyPI, pinned in
uv.lock) over the renders of every value set: no finding but those listed, each with
its reason, in charts/scanner-exceptions.yaml, and no entry there that matches nothing.

One checkov run over all renders (about 20 s here). Each value set is rendered as a
release of its own name, so checkov's checks across objects (a pod and the
NetworkPolicy that selects it) stay within one render; and each object is given its
release's namespace, as `helm install -n` gives it when applying.
"""

import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from clusterkit.helm import chart_dir, template
from devstack.layout import repo_root

EXCEPTIONS = repo_root() / "charts" / "scanner-exceptions.yaml"
NAMESPACE = "pyservices"
VALUE_SETS = ["defaults", *sorted(path.stem for path in (chart_dir() / "ci").glob("*.yaml"))]


def value_files(name: str) -> list[Path]:
    return [] if name == "defaults" else [chart_dir() / "ci" / f"{name}.yaml"]


def checkov() -> str:
    found = shutil.which("checkov", path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail("no checkov beside this Python: `make install` (uv sync) installs it")
    return found


@pytest.fixture(scope="module")
def findings(helm: str, tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, str]]:
    """(check id, value set, Kind/part) of every failed check."""
    folder = tmp_path_factory.mktemp("renders")
    for name in VALUE_SETS:
        documents = template(value_files(name), release=name, namespace=NAMESPACE)
        for document in documents:
            document["metadata"].setdefault("namespace", NAMESPACE)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump_all(documents))
    done = subprocess.run(
        [
            checkov(),
            *("--directory", str(folder), "--framework", "kubernetes"),
            *("--output", "json", "--quiet", "--compact"),
            "--skip-download",  # no network: checkov's own guidelines are not needed
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0, done.stderr[-2000:]
    assert report["summary"]["resource_count"] > 100  # every render was read
    found = set()
    for result in report["results"]["failed_checks"]:
        value_set = Path(result["file_path"]).stem
        kind, _namespace, name = result["resource"].split(".", 2)
        part = name.removeprefix(f"{value_set}-pyservices-")
        found.add((result["check_id"], value_set, f"{kind}/{part}"))
    return found


def exceptions() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = yaml.safe_load(EXCEPTIONS.read_text())
    return result


def excused(entry: dict[str, Any], finding: tuple[str, str, str]) -> bool:
    check, value_set, obj = finding
    return (
        entry["check"] == check
        and value_set in entry.get("valueSets", VALUE_SETS)
        and any(fnmatch.fnmatchcase(obj, pattern) for pattern in entry["objects"])
    )


def test_every_finding_is_a_listed_exception(findings: set[tuple[str, str, str]]) -> None:
    unexcused = sorted(f for f in findings if not any(excused(e, f) for e in exceptions()))

    assert not unexcused, "checkov findings not in scanner-exceptions.yaml:\n" + "\n".join(
        " ".join(f) for f in unexcused
    )


def test_every_exception_still_excuses_a_finding_and_says_why(
    findings: set[tuple[str, str, str]],
) -> None:
    for entry in exceptions():
        assert len(entry.get("reason", "")) > 40, entry["check"]
        assert set(entry.get("valueSets", [])) <= set(VALUE_SETS), entry["check"]
        assert any(excused(entry, f) for f in findings), f"{entry['check']} matches nothing"
