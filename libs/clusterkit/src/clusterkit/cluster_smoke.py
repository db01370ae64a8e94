"""`make cluster-smoke`: checks a deployed system on any cluster kubectl reaches.

Waits for every Deployment of pyservices in the namespace to finish rolling out, then
runs k8s/smoke-job.yaml (python -m loadtest.smoke through the gateway: the generated
client's walk and every scenario, in both modes) as a Job, prints its log and exits
with its verdict: 0 when every request succeeded, 1 otherwise, 2 when kubectl is
missing or nothing is deployed.

    python -m clusterkit.cluster_smoke [--namespace pyservices] [--image pyservices/loadtest:dev]
"""

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import time
from typing import Any

import yaml

from devstack.layout import repo_root

JOB_MANIFEST = repo_root() / "k8s" / "smoke-job.yaml"
PART_OF = "app.kubernetes.io/part-of=pyservices"
KUBECTL_HINT = "kubectl not found: install it from https://kubernetes.io/docs/tasks/tools/"


def smoke_job(
    namespace: str, image: str, gateway: str, seconds: float | None = None
) -> dict[str, Any]:
    """The Job of k8s/smoke-job.yaml with a name of its own and these settings."""
    job: dict[str, Any] = yaml.safe_load(JOB_MANIFEST.read_text())
    job["metadata"]["name"] = f"pyservices-smoke-{secrets.token_hex(3)}"
    job["metadata"]["namespace"] = namespace
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["image"] = image
    container["args"] = ["--host", gateway]
    if seconds is not None:
        container["args"] += ["--seconds", str(seconds)]
    return job


def _kubectl(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    # kubectl from PATH, as a user runs it; main() checked that there is one.
    return subprocess.run(  # noqa: S603
        ["kubectl", *argv],  # noqa: S607
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def wait_for_rollouts(namespace: str, timeout_s: int) -> list[str]:
    """Problems: no Deployment of the system, or one that did not roll out in time."""
    listed = _kubectl("-n", namespace, "get", "deployments", "-l", PART_OF, "-o", "name")
    if listed.returncode != 0:
        # kubectl's last line says why (no cluster, no context); the lines before repeat it.
        reason = (listed.stderr.strip().splitlines() or ["kubectl failed"])[-1]
        return [f"no Deployment to check: {reason} (deploy first: make deploy)"]
    deployments = listed.stdout.split()
    if not deployments:
        return [f"no Deployment of pyservices in namespace {namespace}"]
    problems = []
    for deployment in deployments:
        done = _kubectl("-n", namespace, "rollout", "status", deployment, f"--timeout={timeout_s}s")
        print(done.stdout.strip() or done.stderr.strip(), flush=True)
        if done.returncode != 0:
            problems.append(f"{deployment} did not roll out: {done.stderr.strip()}")
    return problems


def run_job(job: dict[str, Any]) -> tuple[bool, str]:
    """(succeeded, log) of the Job, run to its end or its deadline."""
    namespace, name = job["metadata"]["namespace"], job["metadata"]["name"]
    created = _kubectl("create", "-f", "-", stdin=json.dumps(job))
    if created.returncode != 0:
        return False, created.stderr.strip()
    deadline = time.monotonic() + job["spec"]["activeDeadlineSeconds"] + 60
    succeeded = False
    while time.monotonic() < deadline:
        status = _kubectl("-n", namespace, "get", "job", name, "-o", "jsonpath={.status}")
        state = json.loads(status.stdout or "{}")
        if state.get("succeeded") or state.get("failed"):
            succeeded = bool(state.get("succeeded"))
            break
        time.sleep(2)
    log = _kubectl("-n", namespace, "logs", f"job/{name}")
    return succeeded, log.stdout + log.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clusterkit.cluster_smoke", description=__doc__)
    parser.add_argument("--namespace", default="pyservices")
    parser.add_argument("--image", default="pyservices/loadtest:dev", help="the loadtest image")
    parser.add_argument("--gateway", help="default: the release pyservices' gateway Service")
    parser.add_argument("--rollout-timeout", type=int, default=600, help="seconds")
    args = parser.parse_args(argv)
    if shutil.which("kubectl") is None:
        print(KUBECTL_HINT, file=sys.stderr)
        return 2
    gateway = args.gateway or f"http://pyservices-gateway.{args.namespace}.svc:8080"

    problems = wait_for_rollouts(args.namespace, args.rollout_timeout)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    job = smoke_job(args.namespace, args.image, gateway)
    print(f"running job/{job['metadata']['name']} against {gateway}", flush=True)
    succeeded, log = run_job(job)
    print(log, flush=True)
    print("smoke check passed" if succeeded else "smoke check FAILED", flush=True)
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
