"""Scheduling and identity: every pod the chart makes (components, datastores,
observability, migration and comparison Jobs) takes `defaults` and its component's own
keys (maps merge, lists and affinity replace), pull secrets reach every pod, and the
schema stays closed around exactly these keys."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from clusterkit.helm import RenderError, chart_dir, template
from clusterkit.pod_security import containers_of

KUBERNETES_VERSIONS = ["1.30", "1.35"]
SELECTOR_KEYS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
}
OUR_IMAGES = "registry.example/team/"

DEFAULTS = {
    "nodeSelector": {"pool": "apps", "kubernetes.io/arch": "amd64"},
    "tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "apps", "effect": "NoSchedule"}
    ],
    "affinity": {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 1,
                    "preference": {
                        "matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]
                    },
                }
            ]
        }
    },
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
        }
    ],
    "podAnnotations": {"team.example/owner": "platform"},
    "podLabels": {"cost-center": "demo"},
    "serviceAccountAnnotations": {
        "iam.gke.io/gcp-service-account": "all@p.iam.gserviceaccount.com"
    },
    "extraEnv": [{"name": "LOG_LEVEL", "value": "DEBUG"}],
    "extraEnvFrom": [{"secretRef": {"name": "shared-settings"}}],
}
USERS_OWN = {
    "nodeSelector": {"pool": "users"},
    "tolerations": [],
    "podLabels": {"tier": "auth"},
    "podAnnotations": {"team.example/owner": "identity"},
    "serviceAccountAnnotations": {
        "iam.gke.io/gcp-service-account": "users@p.iam.gserviceaccount.com"
    },
    "extraEnv": [
        {"name": "LOG_LEVEL", "value": "INFO"},
        {
            "name": "DB_POOL_SIZE",
            "valueFrom": {"configMapKeyRef": {"name": "pools", "key": "users"}},
        },
    ],
    "imagePullPolicy": "Always",
    "replicas": 3,
}
VALUES = {
    "defaults": DEFAULTS,
    "components": {"users": USERS_OWN, "gateway": {"replicas": 2}},
    "image": {"registry": OUR_IMAGES, "tag": "1.0.0"},
    "imagePullSecrets": [{"name": "registry-login"}],
    "comparison": {"enabled": True},
}


def render_with(tmp_path: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return template([path])


@pytest.fixture(scope="module")
def customised(tmp_path_factory: pytest.TempPathFactory, helm: str) -> list[dict[str, Any]]:
    return render_with(tmp_path_factory.mktemp("scheduling"), VALUES)


def pod_templates(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`<kind>/<name>` -> the pod template of every workload."""
    found = {}
    for document in documents:
        spec = document.get("spec") or {}
        if not isinstance(spec, dict):
            continue
        template_ = (spec.get("jobTemplate", {}).get("spec") or spec).get("template")
        if template_:
            found[f"{document['kind']}/{document['metadata']['name']}"] = template_
    return found


def component_of(pod: dict[str, Any]) -> str:
    result: str = pod["metadata"]["labels"]["app.kubernetes.io/component"]
    return result


def test_the_customised_render_is_valid_kubernetes(customised: list[dict[str, Any]]) -> None:
    for document in customised:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(document, version, strict=True)


def test_every_pod_takes_the_defaults_unless_its_component_says_otherwise(
    customised: list[dict[str, Any]],
) -> None:
    pods = pod_templates(customised)
    kinds = {name.split("/")[0] for name in pods}
    assert kinds == {"Deployment", "StatefulSet", "Job"}
    assert any(name.startswith("Job/pyservices-comparison-") for name in pods)
    for name, pod in pods.items():
        spec, metadata = pod["spec"], pod["metadata"]
        users = component_of(pod) in ("users", "migrate-users")
        expected_selector = (
            {"pool": "users", "kubernetes.io/arch": "amd64"} if users else DEFAULTS["nodeSelector"]
        )
        assert spec["nodeSelector"] == expected_selector, name
        assert spec.get("tolerations", []) == ([] if users else DEFAULTS["tolerations"]), name
        assert spec["affinity"] == DEFAULTS["affinity"], name
        assert metadata["labels"]["cost-center"] == "demo", name
        assert metadata["labels"].get("tier") == ("auth" if users else None), name
        owner = metadata["annotations"]["team.example/owner"]
        assert owner == ("identity" if users else "platform"), name
        assert spec["imagePullSecrets"] == [{"name": "registry-login"}], name


def test_every_service_account_takes_its_workload_identity(
    customised: list[dict[str, Any]],
) -> None:
    accounts = {d["metadata"]["name"]: d for d in customised if d["kind"] == "ServiceAccount"}
    assert {"pyservices-postgres", "pyservices-prometheus", "pyservices-users"} <= set(accounts)
    for name, account in accounts.items():
        identity = account["metadata"]["annotations"]["iam.gke.io/gcp-service-account"]
        assert identity == (
            "users@p.iam.gserviceaccount.com"
            if name == "pyservices-users"
            else "all@p.iam.gserviceaccount.com"
        )


def test_extra_variables_reach_the_components_containers_only(
    customised: list[dict[str, Any]],
) -> None:
    for name, pod in pod_templates(customised).items():
        for container in containers_of({"kind": "Pod", "spec": pod["spec"]}):
            env = {variable["name"]: variable for variable in container.get("env", [])}
            sources = container.get("envFrom", [])
            ours = name.startswith("Deployment/") and container["image"].startswith(OUR_IMAGES)
            if not ours:
                assert "LOG_LEVEL" not in env, name
                assert {"secretRef": {"name": "shared-settings"}} not in sources, name
            elif container["name"] == "users":
                assert env["LOG_LEVEL"]["value"] == "INFO"
                assert env["DB_POOL_SIZE"]["valueFrom"]["configMapKeyRef"]["key"] == "users"
                assert "DATABASE_URL" in env  # the chart's own come first and stay
            else:
                assert env["LOG_LEVEL"]["value"] == "DEBUG", name
                assert sources[-1] == {"secretRef": {"name": "shared-settings"}}, name


def test_replicas_of_one_part_spread_with_their_own_selector(
    customised: list[dict[str, Any]], default_render: list[dict[str, Any]]
) -> None:
    for pod in pod_templates(default_render).values():
        assert "topologySpreadConstraints" not in pod["spec"]  # one replica each
    deployments = {d["metadata"]["name"]: d for d in customised if d["kind"] == "Deployment"}
    for name in ("pyservices-users", "pyservices-gateway"):
        pod = deployments[name]["spec"]["template"]
        (constraint,) = pod["spec"]["topologySpreadConstraints"]
        assert constraint["topologyKey"] == "topology.kubernetes.io/zone"
        selector = constraint["labelSelector"]["matchLabels"]
        assert selector == deployments[name]["spec"]["selector"]["matchLabels"]
        assert set(selector) == SELECTOR_KEYS
    assert (
        "topologySpreadConstraints"
        not in deployments["pyservices-items"]["spec"]["template"]["spec"]
    )


def test_by_default_replicas_spread_over_nodes_softly(helm: str) -> None:
    rendered = template(values={"components.items.replicas": "2"})
    (items,) = [
        d
        for d in rendered
        if d["metadata"]["name"] == "pyservices-items" and d["kind"] == "Deployment"
    ]
    (constraint,) = items["spec"]["template"]["spec"]["topologySpreadConstraints"]

    assert constraint == {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": items["spec"]["selector"]["matchLabels"]},
    }


def test_pod_labels_never_replace_the_charts_own(tmp_path: Path, helm: str) -> None:
    rendered = render_with(
        tmp_path,
        {
            "defaults": {
                **DEFAULTS,
                "podLabels": {"app.kubernetes.io/component": "x", "extra": "kept"},
            }
        },
    )
    for name, pod in pod_templates(rendered).items():
        assert pod["metadata"]["labels"]["app.kubernetes.io/component"] != "x", name
        assert pod["metadata"]["labels"]["extra"] == "kept", name


def test_pull_policy_always_is_allowed_for_the_charts_own_images(helm: str) -> None:
    rendered = template(values={"image.pullPolicy": "Always", "comparison.enabled": "true"})
    for document in rendered:
        for container in containers_of(document):
            ours = container["image"].startswith("pyservices/")
            assert container["imagePullPolicy"] == ("Always" if ours else "IfNotPresent")


def test_one_components_pull_policy_reaches_its_jobs_too(customised: list[dict[str, Any]]) -> None:
    for name, pod in pod_templates(customised).items():
        for container in containers_of({"kind": "Pod", "spec": pod["spec"]}):
            users = component_of(pod) in ("users", "migrate-users")
            expected = "Always" if users else "IfNotPresent"
            assert container["imagePullPolicy"] == expected, (name, container["name"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"defaults.nodeSelectors.pool": "apps"},
            "additional properties 'nodeSelectors' not allowed",
        ),
        ({"components.users.tolerations[0].keys": "x"}, "additional properties 'keys' not allowed"),
        ({"components.users.imagePullPolicy": "Sometimes"}, "imagePullPolicy"),
        ({"defaults.topologySpreadConstraints[0].maxSkew": "0"}, "maxSkew"),
        ({"components.gateway.extraEnv[0].value": "no name"}, "missing property 'name'"),
        ({"postgres.nodeSelector.pool": "db"}, "additional properties 'nodeSelector' not allowed"),
    ],
    ids=lambda value: value if isinstance(value, str) else ",".join(value),
)
def test_the_schema_stays_closed_around_these_keys(
    helm: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError) as refused:
        template(values=values)

    assert message in str(refused.value)


def test_the_schema_gains_exactly_these_keys() -> None:
    schema = yaml.safe_load((chart_dir() / "values.schema.json").read_text())
    scheduling = set(schema["properties"]["defaults"]["properties"])
    assert scheduling == {
        "nodeSelector",
        "tolerations",
        "affinity",
        "topologySpreadConstraints",
        "podAnnotations",
        "podLabels",
        "serviceAccountAnnotations",
        "extraEnv",
        "extraEnvFrom",
    }
    assert schema["properties"]["defaults"]["additionalProperties"] is False
    for name, component in schema["properties"]["components"]["properties"].items():
        assert component["additionalProperties"] is False
        assert scheduling | {"imagePullPolicy"} <= set(component["properties"]), name
