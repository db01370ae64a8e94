"""The smoke-run wrapper refuses what podman would skip or get wrong, naming it."""

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from clusterkit.helm import chart_dir, template
from clusterkit.kube_play import Unsupported, plan


@pytest.fixture(scope="module")
def smoke_render() -> list[dict[str, Any]]:
    return template([chart_dir() / "ci" / "smoke-values.yaml"])


def changed(
    documents: list[dict[str, Any]],
    kind: str,
    name: str,
    change: Callable[[dict[str, Any]], object],
) -> list[dict[str, Any]]:
    documents = copy.deepcopy(documents)
    for document in documents:
        if document["kind"] == kind and document["metadata"]["name"] == name:
            change(document)
    return documents


def test_the_smoke_values_give_a_render_podman_can_play(smoke_render: list[dict[str, Any]]) -> None:
    played = plan(smoke_render)

    components = {w.labels["app.kubernetes.io/component"] for w in played.workloads}
    assert components >= {"users", "items", "tasks", "worker", "beat", "gateway", "locust"}
    assert {"migrate-users", "migrate-items", "migrate-tasks"} <= components
    for workload in played.workloads:
        for container in workload.pod["spec"]["containers"]:
            assert "ports" not in container  # never published on the host
            assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(container)
    users = next(w for w in played.workloads if w.name == "pyservices-users")
    assert users.readiness == [("/readyz", 8000)]  # the wrapper waits for it itself


def test_the_default_render_is_refused_for_its_statefulsets(
    helm_default_render: list[dict[str, Any]],
) -> None:
    with pytest.raises(Unsupported, match="does not play a"):
        plan(helm_default_render)


@pytest.fixture(scope="module")
def helm_default_render() -> list[dict[str, Any]]:
    return template()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["spec"].update(replicas=2), "one replica only"),
        (
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
                imagePullPolicy="Always"
            ),
            "imagePullPolicy Always",
        ),
        (
            lambda d: d["spec"]["template"]["spec"]["volumes"].append(
                {"name": "data", "persistentVolumeClaim": {"claimName": "x"}}
            ),
            "is not an emptyDir",
        ),
    ],
    ids=["replicas", "pull-always", "pvc"],
)
def test_what_podman_gets_wrong_is_refused(
    smoke_render: list[dict[str, Any]], change: Callable[[dict[str, Any]], object], message: str
) -> None:
    documents = changed(smoke_render, "Deployment", "pyservices-users", change)

    with pytest.raises(Unsupported, match=message):
        plan(documents)


def test_a_service_whose_port_is_not_its_target_is_refused(
    smoke_render: list[dict[str, Any]],
) -> None:
    def other_port(service: dict[str, Any]) -> None:
        service["spec"]["ports"][0]["port"] = 80

    documents = changed(smoke_render, "Service", "pyservices-users", other_port)

    with pytest.raises(Unsupported, match="no kube-proxy"):
        plan(documents)


def test_urls_are_completed_with_their_passwords_as_the_kubelet_would(
    smoke_render: list[dict[str, Any]],
) -> None:
    """podman leaves $(NAME) as it is; the wrapper expands it, into a secret of its own
    when a password went in, so no password shows in a pod's spec."""
    played = plan(smoke_render)

    users = next(w for w in played.workloads if w.name == "pyservices-users")
    env = {v["name"]: v for v in users.pod["spec"]["containers"][0]["env"]}
    ref = env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    url = base64.b64decode(played.secrets[ref["name"]][ref["key"]]).decode()
    password_ref = env["SECRET_USERS_DB_PASSWORD"]["valueFrom"]["secretKeyRef"]
    password = base64.b64decode(played.secrets[password_ref["name"]]["users-db-password"])
    assert url == f"postgresql://users:{password.decode()}@192.0.2.1:5432/users"
    assert "$(" not in json.dumps(users.pod)


def test_the_secrets_marked_keep_are_the_ones_an_uninstall_leaves(
    smoke_render: list[dict[str, Any]],
) -> None:
    assert plan(smoke_render).kept == {"pyservices-datastores", "pyservices-tokens"}


def test_a_kept_secret_an_earlier_install_left_stands_for_the_rendered_one() -> None:
    """As on a cluster, where lookup renders the kept data again: the new render's own
    (new) values are not what the pods get."""
    kept = {"users-db-password": base64.b64encode(b"old").decode()}
    rendered = {
        "kind": "Secret",
        "metadata": {"name": "s", "annotations": {"helm.sh/resource-policy": "keep"}},
        "data": {"users-db-password": base64.b64encode(b"new").decode()},
    }
    plain = {**rendered, "metadata": {"name": "t"}}

    played = plan([rendered, plain], adopted={"s": kept, "t": kept})

    assert played.secrets["s"] == kept
    assert played.secrets["t"] == rendered["data"]  # not marked keep: not adopted
