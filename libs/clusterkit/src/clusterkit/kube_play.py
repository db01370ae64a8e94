"""The chart's own workloads played by `podman kube play`: a smoke test, not Kubernetes.

podman plays Pods, Deployments and ConfigMaps, and silently skips or gets wrong much of
the rest (../shared/PODMAN.md). So this wrapper first checks a render against what it
can play faithfully and refuses the rest with the reason, instead of passing silently:

- played: Deployment (one replica), Job (as a Pod run to its end, init containers
  first), ConfigMap, Secret (made a podman secret first, which secretKeyRef then reads);
- env: podman does not expand `$(NAME)` in a variable's value as the kubelet does (a
  URL completed with a password from a Secret); the wrapper expands it, by the
  kubelet's rules, into a podman secret of its own when a secret went into it;
- uninstall and install again (`uninstall()`): everything goes but the Secrets marked
  `helm.sh/resource-policy: keep`, as with `helm uninstall`; the next play adopts
  those as they are. (On a cluster the chart's `lookup` renders their data again; a
  render without a cluster cannot, and would make new values.)
- Service: no kube-proxy, so each Service's name becomes a DNS alias of the pods it
  selects on a network of the run's own; a Service whose port differs from its target
  port is refused (unreachable without kube-proxy);
- emptyDir: a fresh tmpfs volume per pod, owned by the pod's user (podman would share
  one named volume between all pods that use the same volume name);
- probes: podman ignores them; the wrapper strips them, and waits itself for each
  readiness probe's HTTP path to answer 200;
- container ports: not published on the host (podman would bind every one on 0.0.0.0);
  pods are reached at their address on the run's network;
- refused: any other kind (StatefulSet, PVC, HPA, PDB, NetworkPolicy, Ingress, RBAC:
  turn them off in the smoke values), replicas other than 1, imagePullPolicy Always,
  hostPort, volumes other than emptyDir, ConfigMap and Secret.

Not proved by such a run: scheduling, resource limits, probes as the kubelet runs them,
kube-proxy, StatefulSets and their volumes, Jobs' retries, NetworkPolicies.
"""

import base64
import copy
import hashlib
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from devstack.health import answers_ok

PLAYED = {"Deployment", "Job", "ConfigMap", "Secret", "Service", "ServiceAccount"}
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")
KEEP = "helm.sh/resource-policy"
# $(NAME) (expanded), $$ (a literal $), as the kubelet reads a variable's value.
REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class Unsupported(ValueError):
    """The render holds something podman would skip or get wrong."""


@dataclass
class Workload:
    name: str
    labels: dict[str, str]
    pod: dict[str, Any]  # a Pod manifest, adapted
    ports: dict[str, int] = field(default_factory=dict)  # named container ports
    readiness: list[tuple[str, int]] = field(default_factory=list)  # (path, port)
    run_to_end: bool = False  # a Job


@dataclass
class Plan:
    secrets: dict[str, dict[str, str]]  # name -> key -> base64
    config_maps: list[dict[str, Any]]
    services: list[dict[str, Any]]
    workloads: list[Workload]
    kept: set[str] = field(default_factory=set)  # Secrets that outlive an uninstall


def plan(
    documents: Iterable[dict[str, Any]], adopted: Mapping[str, dict[str, str]] | None = None
) -> Plan:
    """What to play, or Unsupported naming the first thing that cannot be. `adopted`:
    secrets an earlier install kept (name -> data), which stand for the rendered ones
    of the same name, as the cluster would hold them."""
    documents = list(documents)
    secrets: dict[str, dict[str, str]] = {}
    config_maps, services, kept = [], [], set()
    for document in documents:
        kind, name = document["kind"], document["metadata"]["name"]
        if kind not in PLAYED:
            raise Unsupported(f"{kind}/{name}: podman kube play does not play a {kind}")
        if kind == "Secret":
            keep = (document["metadata"].get("annotations") or {}).get(KEEP) == "keep"
            taken = (adopted or {}).get(name) if keep else None
            secrets[name] = dict(taken) if taken else _secret_data(document)
            if keep:
                kept.add(name)
        elif kind == "ConfigMap":
            config_maps.append(document)
        elif kind == "Service":
            services.append(document)
    # Second: a workload's $(NAME) may name a secret listed after it.
    workloads = [
        _workload(document, secrets, config_maps)
        for document in documents
        if document["kind"] in ("Deployment", "Job")
    ]
    for service in services:
        _check_service(service, workloads)
    return Plan(secrets, config_maps, services, workloads, kept)


def _secret_data(secret: dict[str, Any]) -> dict[str, str]:
    data = dict(secret.get("data") or {})
    for key, value in (secret.get("stringData") or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    return data


def _workload(
    document: dict[str, Any], secrets: dict[str, Any], config_maps: list[dict[str, Any]]
) -> Workload:
    kind, name = document["kind"], document["metadata"]["name"]
    if kind == "Deployment" and document["spec"].get("replicas", 1) != 1:
        raise Unsupported(f"{kind}/{name}: one replica only (podman would bind ports twice)")
    template = copy.deepcopy(document["spec"]["template"])
    spec = template["spec"]
    readiness: list[tuple[str, int]] = []
    declared: dict[str, int] = {}
    for container in spec["containers"] + spec.get("initContainers", []):
        where = f"{kind}/{name}/{container['name']}"
        if container.get("imagePullPolicy") == "Always":
            raise Unsupported(f"{where}: imagePullPolicy Always would pull from a registry")
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        declared |= ports
        if any("hostPort" in p for p in container.get("ports", [])):
            raise Unsupported(f"{where}: hostPort")
        probe = container.get("readinessProbe", {}).get("httpGet")
        if probe:
            port = probe["port"]
            readiness.append((probe["path"], ports[port] if isinstance(port, str) else port))
        for key in PROBES:
            container.pop(key, None)
        _expand_references(container, f"{name}-{container['name']}", secrets, config_maps)
        # Reached on the run's network; never published on the host.
        container.pop("ports", None)
    for volume in spec.get("volumes", []):
        if not {"emptyDir", "configMap", "secret"} & set(volume):
            raise Unsupported(f"{kind}/{name}: volume {volume['name']} is not an emptyDir")
    if kind == "Job":
        spec["restartPolicy"] = "Never"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": template["metadata"].get("labels", {})},
        "spec": spec,
    }
    labels = pod["metadata"]["labels"]
    return Workload(name, labels, pod, declared, readiness, run_to_end=kind == "Job")


def _expand_references(
    container: dict[str, Any],
    owner: str,
    secrets: dict[str, dict[str, str]],
    config_maps: list[dict[str, Any]],
) -> None:
    """Expands $(NAME) in env values from the variables defined before, as the kubelet
    does; a value that took a secret in becomes a secret of its own (added to
    `secrets`), so it never shows in the pod's spec."""
    known: dict[str, tuple[str, bool]] = {}  # name -> (value, came from a secret)
    maps = {m["metadata"]["name"]: m.get("data") or {} for m in config_maps}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            data = maps.get(source["configMapRef"]["name"], {})
            known |= {key: (value, False) for key, value in data.items()}
    for variable in container.get("env", []):
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            data = secrets.get(ref["name"], {})
            if ref["key"] in data:
                known[variable["name"]] = (base64.b64decode(data[ref["key"]]).decode(), True)
            continue
        if "value" not in variable:
            continue
        secret = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal secret
            if match[0] == "$$":
                return "$"
            if match[1] not in known:
                return match[0]  # the kubelet leaves an unknown reference as it is
            value, from_secret = known[match[1]]
            secret = secret or from_secret
            return value

        value = REFERENCE.sub(substitute, variable["value"])
        known[variable["name"]] = (value, secret)
        if secret:
            # podman's secret names stop at 64 characters: a digest of the owner keeps
            # them short and apart (the owner's name carries the release).
            digest = hashlib.sha256(f"{owner}/{variable['name']}".encode()).hexdigest()[:16]
            name = f"env-{variable['name'].lower().replace('_', '-')[:40]}-{digest}"
            secrets[name] = {"value": base64.b64encode(value.encode()).decode()}
            variable.pop("value")
            variable["valueFrom"] = {"secretKeyRef": {"name": name, "key": "value"}}
        else:
            variable["value"] = value


def _check_service(service: dict[str, Any], workloads: list[Workload]) -> None:
    name = service["metadata"]["name"]
    selector = service["spec"].get("selector", {})
    selected = [w for w in workloads if selector.items() <= w.labels.items()]
    if not selected:
        return  # a datastore's or a part's that the smoke values turned off
    for port in service["spec"]["ports"]:
        target = port.get("targetPort", port["port"])
        number = selected[0].ports.get(target) if isinstance(target, str) else target
        if number != port["port"]:
            raise Unsupported(
                f"Service/{name}: port {port['port']} != target {number} (no kube-proxy)"
            )


class KubePlay:
    """Plays a Plan on a podman network of its own; `down()` removes all it made."""

    def __init__(self, tool: str, run: str):
        self.tool = tool
        self.run = run  # a name prefix of this run's network, secrets and volumes
        self.network = f"{run}-net"
        self.gateway_ip = ""
        self._pods: list[str] = []
        self._secrets: list[str] = []
        self._volumes: list[str] = []
        self._kept: list[str] = []  # secrets left by uninstall(), removed by down()
        self._network_made = False

    def _podman(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([self.tool, *argv], capture_output=True, text=True)  # noqa: S603
        if check and done.returncode:
            # podman says why on stderr; a bare CalledProcessError would drop it.
            raise RuntimeError(f"podman {' '.join(argv)}: {done.stderr.strip()}")
        return done

    def create_network(self) -> str:
        """The run's network; returns its gateway address (the host, seen from pods)."""
        self._podman("network", "create", self.network)
        self._network_made = True
        # netavark makes the network's bridge, and so its gateway address, only for a
        # first member: an empty pod holds it up for the relays to bind to.
        self._podman("pod", "create", "--name", f"{self.run}-anchor", "--network", self.network)
        self._podman("pod", "start", f"{self.run}-anchor")
        self._pods.append(f"{self.run}-anchor")
        inspect = json.loads(self._podman("network", "inspect", self.network).stdout)
        self.gateway_ip = inspect[0]["subnets"][0]["gateway"]
        return self.gateway_ip

    def make_secrets(self, secrets: dict[str, dict[str, str]], kept: Collection[str] = ()) -> None:
        """Makes each secret; a kept one that an earlier install left is adopted as is."""
        for name, data in secrets.items():
            if name in kept and name in self._kept:
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
                json.dump(data, file)
                file.flush()
                self._podman("secret", "create", name, file.name)
            self._secrets.append(name)

    def play(
        self, workload: Workload, config_maps: list[dict[str, Any]], aliases: list[str]
    ) -> str:
        """Plays one workload; returns its address on the run's network."""
        pod = copy.deepcopy(workload.pod)
        uid = pod["spec"].get("securityContext", {}).get("runAsUser", 0)
        for volume in pod["spec"].get("volumes", []):
            if "emptyDir" in volume:
                name = f"{self.run}-{workload.name}-{volume['name']}"
                self._podman(
                    "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                    "--opt", f"o=uid={uid},gid={uid},mode=1777", name,
                )  # fmt: skip
                self._volumes.append(name)
                volume.pop("emptyDir")
                volume["persistentVolumeClaim"] = {"claimName": name}
        stream = yaml.safe_dump_all([*config_maps, pod])
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
            file.write(stream)
            file.flush()
            done = self._podman("kube", "play", "--network", self.network, file.name, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kube play {workload.name}: {done.stderr.strip()}")
        self._pods.append(workload.name)
        if aliases:
            infra = self._podman(
                "pod", "inspect", workload.name, "--format", "{{.InfraContainerID}}"
            ).stdout.strip()
            self._podman("network", "disconnect", self.network, infra)
            alias_options = [option for alias in aliases for option in ("--alias", alias)]
            self._podman("network", "connect", *alias_options, self.network, infra)
        return self.address(workload.name)

    def address(self, pod: str) -> str:
        infra = self._podman("pod", "inspect", pod, "--format", "{{.InfraContainerID}}")
        networks = json.loads(
            self._podman(
                "inspect", infra.stdout.strip(), "--format", "{{json .NetworkSettings.Networks}}"
            ).stdout
        )
        address: str = networks[self.network]["IPAddress"]
        return address

    def wait_until_ended(self, workload: Workload, timeout: float) -> tuple[int, str]:
        """(exit code, log) of a Job's main container once it stopped."""
        container = f"{workload.name}-{workload.pod['spec']['containers'][0]['name']}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self._podman("inspect", container, "--format", "{{.State.Status}}").stdout
            if state.strip() in ("exited", "stopped"):
                code = self._podman("inspect", container, "--format", "{{.State.ExitCode}}")
                return int(code.stdout.strip()), self.logs(workload.name)
            time.sleep(0.5)
        return -1, self.logs(workload.name)

    def wait_until_ready(self, workload: Workload, address: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        pending = list(workload.readiness)
        while pending and time.monotonic() < deadline:
            pending = [
                (p, port) for p, port in pending if not answers_ok(f"http://{address}:{port}{p}")
            ]
            if pending:
                time.sleep(0.5)
        return not pending

    def logs(self, pod: str) -> str:
        done = self._podman("pod", "logs", pod, check=False)
        return done.stdout + done.stderr

    def uninstall(self, kept: set[str]) -> None:
        """What `helm uninstall` does here: every pod, volume and secret of the release
        goes, but the secrets in `kept` (resource-policy keep); the network stays."""
        anchor = f"{self.run}-anchor"
        for pod in reversed(self._pods):
            if pod != anchor:
                self._podman("pod", "rm", "--force", pod, check=False)
        self._pods = [pod for pod in self._pods if pod == anchor]
        for volume in self._volumes:
            self._podman("volume", "rm", "--force", volume, check=False)
        self._volumes = []
        for secret in self._secrets:
            if secret in kept:
                self._kept.append(secret)
            else:
                self._podman("secret", "rm", secret, check=False)
        self._secrets = []

    def down(self) -> None:
        for pod in reversed(self._pods):
            self._podman("pod", "rm", "--force", pod, check=False)
        for volume in self._volumes:
            self._podman("volume", "rm", "--force", volume, check=False)
        for secret in [*self._secrets, *self._kept]:
            self._podman("secret", "rm", secret, check=False)
        if self._network_made:
            self._podman("network", "rm", "--force", self.network, check=False)


def aliases_for(workload: Workload, services: list[dict[str, Any]]) -> list[str]:
    """The names of the Services that select this workload's pod."""
    return [
        s["metadata"]["name"]
        for s in services
        if s["spec"].get("selector") and s["spec"]["selector"].items() <= workload.labels.items()
    ]
