"""The smoke-run wrapper refuses what podman would skip or get wrong, naming it."""

import copy

import pytest

from devstack.helm import chart_dir, template
from devstack.kube_play import Unsupported, plan


@pytest.fixture(scope="module")
def smoke_render() -> list[dict]:
    return template([chart_dir() / "ci" / "smoke-values.yaml"])


def changed(documents: list[dict], kind: str, name: str, change) -> list[dict]:
    documents = copy.deepcopy(documents)
    for document in documents:
        if document["kind"] == kind and document["metadata"]["name"] == name:
            change(document)
    return documents


def test_the_smoke_values_give_a_render_podman_can_play(smoke_render):
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


def test_the_default_render_is_refused_for_its_statefulsets(helm_default_render):
    with pytest.raises(Unsupported, match="does not play a"):
        plan(helm_default_render)


@pytest.fixture(scope="module")
def helm_default_render() -> list[dict]:
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
def test_what_podman_gets_wrong_is_refused(smoke_render, change, message):
    documents = changed(smoke_render, "Deployment", "pyservices-users", change)

    with pytest.raises(Unsupported, match=message):
        plan(documents)


def test_a_service_whose_port_is_not_its_target_is_refused(smoke_render):
    def other_port(service):
        service["spec"]["ports"][0]["port"] = 80

    documents = changed(smoke_render, "Service", "pyservices-users", other_port)

    with pytest.raises(Unsupported, match="no kube-proxy"):
        plan(documents)
