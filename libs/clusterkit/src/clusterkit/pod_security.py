"""What the restricted Pod Security Standard asks of a workload, as the tests check it:
the chart's renders and the cluster-side manifests of k8s/ alike. (The standard itself
asks a little less, the repository's own rules a little more: a fixed non-root uid, a
read-only root filesystem and resources on every container.)"""

from typing import Any

WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet")


def pod_spec(document: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template's spec of a workload; None for any other kind."""
    if document["kind"] in WORKLOADS:
        spec: dict[str, Any] = document["spec"]["template"]["spec"]
        return spec
    return None


def containers_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every container of a workload's pods, init containers included."""
    spec = pod_spec(document)
    return spec["containers"] + spec.get("initContainers", []) if spec else []


def restricted_problems(document: dict[str, Any]) -> list[str]:
    """Why the workload's pods would break the restricted profile (empty: they would not)."""
    spec = pod_spec(document)
    if spec is None:
        return []
    where = f"{document['kind']}/{document['metadata']['name']}"
    pod = spec.get("securityContext", {})
    problems = []
    if pod.get("runAsNonRoot") is not True:
        problems.append(f"{where}: runAsNonRoot is not true")
    if not pod.get("runAsUser", 0) > 0:
        problems.append(f"{where}: no fixed non-root runAsUser")
    if pod.get("seccompProfile") != {"type": "RuntimeDefault"}:
        problems.append(f"{where}: seccompProfile is not RuntimeDefault")
    for container in spec["containers"] + spec.get("initContainers", []):
        at = f"{where}/{container['name']}"
        security = container.get("securityContext", {})
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{at}: allowPrivilegeEscalation is not false")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{at}: the root filesystem is writable")
        if security.get("capabilities") != {"drop": ["ALL"]}:
            problems.append(f"{at}: capabilities are not all dropped")
        if "resources" not in container:
            problems.append(f"{at}: no requests and limits")
    return problems
