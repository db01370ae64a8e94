"""`make dev` and `make deploy` with stand-in tools on PATH (no skaffold, kubectl or
cluster runs here): an old skaffold stops them with one line before anything is
deployed, and they deploy to KUBE_CONTEXT (default kind-pyservices) by name, never to
whichever context is current."""

import subprocess
from pathlib import Path

import pytest

from devstack.layout import repo_root

ROOT = repo_root()
MINIMUM = "v2.19.0"

# Each stand-in records how it was called; kubectl knows the contexts in $CONTEXTS.
SKAFFOLD = """#!/bin/sh
if [ "$1" = version ]; then echo "$SKAFFOLD_VERSION"; exit 0; fi
echo "skaffold $*" >>"$CALLS"
"""
KUBECTL = """#!/bin/sh
if [ "$1 $2" = "config get-contexts" ]; then
  for context in $CONTEXTS; do [ "$context" = "$3" ] && exit 0; done
  exit 1
fi
echo "kubectl $*" >>"$CALLS"
"""
TRUE = "#!/bin/sh\nexit 0\n"


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in {
        "skaffold": SKAFFOLD,
        "kubectl": KUBECTL,
        "docker": TRUE,
        "helm": TRUE,
    }.items():
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def make(
    tools: Path, target: str, skaffold: str, contexts: str = "kind-pyservices", **variables: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = tools.parent / "calls"
    calls.touch()
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "SKAFFOLD_VERSION": skaffold,
        "CONTEXTS": contexts,
        "CALLS": str(calls),
    }
    arguments = [f"HELM={tools / 'helm'}", *(f"{k}={v}" for k, v in variables.items())]
    done = subprocess.run(
        ["make", "--no-print-directory", target, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done, calls.read_text().splitlines()


@pytest.mark.parametrize("target", ["dev", "deploy"])
@pytest.mark.parametrize("old", ["v2.18.3", "v2.17.0", "v1.39.2", "bleeding-edge"])
def test_an_old_skaffold_stops_the_target_with_one_line_before_any_deploy(
    tools: Path, target: str, old: str
) -> None:
    done, calls = make(tools, target, old)

    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()[:1]
    assert old in line
    assert f"skaffold {MINIMUM} or newer" in line
    assert len([text for text in done.stderr.splitlines() if "make:" not in text]) == 1
    assert calls == []


@pytest.mark.parametrize(("target", "command"), [("dev", "dev"), ("deploy", "run")])
def test_the_target_deploys_to_the_kind_context_by_name(
    tools: Path, target: str, command: str
) -> None:
    done, calls = make(tools, target, MINIMUM, contexts="minikube kind-pyservices")

    assert done.returncode == 0, done.stderr
    assert "deploying to kube context kind-pyservices" in done.stdout
    assert calls == [
        "kubectl --context kind-pyservices apply -f k8s/namespace.yaml",
        f"skaffold {command} --kube-context kind-pyservices",
    ]


def test_kube_context_names_another_and_profiles_compose(tools: Path) -> None:
    done, calls = make(
        tools, "dev", "v2.24.0", contexts="staging", KUBE_CONTEXT="staging", PROFILE="mysql,minimal"
    )

    assert done.returncode == 0, done.stderr
    assert "deploying to kube context staging" in done.stdout
    assert calls == [
        "kubectl --context staging apply -f k8s/namespace.yaml",
        "skaffold dev --kube-context staging --profile mysql,minimal",
    ]


def test_a_context_that_does_not_exist_stops_the_target_before_any_deploy(tools: Path) -> None:
    done, calls = make(tools, "deploy", MINIMUM, contexts="minikube")

    assert done.returncode != 0
    assert done.stderr.splitlines()[0].startswith("kube context kind-pyservices not found")
    assert calls == []
