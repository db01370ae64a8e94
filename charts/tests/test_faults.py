"""The fault switch in the chart: off in every value set the chart ships, said outright
to each service, and on only with an admin token from a Secret."""

from typing import Any

import pytest

from clusterkit.helm import RenderError, template
from clusterkit.pod_security import containers_of

SERVICES = ("users", "items", "tasks")


def service_environments(
    documents: list[dict[str, Any]],
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Component -> (its ConfigMap's settings, its container's env) for each service."""
    config_maps = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    found = {}
    for document in documents:
        if document["kind"] != "Deployment":
            continue
        component = document["spec"]["template"]["metadata"]["labels"][
            "app.kubernetes.io/component"
        ]
        if component not in SERVICES:
            continue
        container = next(c for c in containers_of(document) if c["name"] == component)
        settings: dict[str, Any] = {}
        for source in container.get("envFrom", []):
            settings |= config_maps[source["configMapRef"]["name"]]["data"] or {}
        found[component] = (settings, container.get("env", []))
    return found


def test_every_value_set_keeps_the_fault_switch_off(rendered: list[dict[str, Any]]) -> None:
    # The `load` set runs Locust alone: nothing to check there, and nothing wrong either.
    for component, (settings, env) in service_environments(rendered).items():
        assert settings.get("FAULTS_ENABLED") == "false", component
        assert "FAULT_ADMIN_TOKEN" not in {variable["name"] for variable in env}, component


def test_only_the_three_services_get_the_fault_setting(
    default_render: list[dict[str, Any]],
) -> None:
    config_maps = [d for d in default_render if d["kind"] == "ConfigMap"]
    with_faults = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in config_maps
        if "FAULTS_ENABLED" in (d.get("data") or {})
    }

    assert with_faults == set(SERVICES)


def test_enabled_faults_take_the_admin_token_from_the_named_secret(helm: str) -> None:
    values = {"faults.enabled": "true", "faults.existingSecret": "demo-faults"}

    environments = service_environments(template(values=values))

    assert set(environments) == set(SERVICES)
    for component, (settings, env) in environments.items():
        assert settings["FAULTS_ENABLED"] == "true", component
        token = next(variable for variable in env if variable["name"] == "FAULT_ADMIN_TOKEN")
        assert token == {
            "name": "FAULT_ADMIN_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "demo-faults", "key": "fault-admin-token"}},
        }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"faults.enabled": "true"}, "faults.enabled needs faults.existingSecret"),
        (
            {"faults.enabled": "true", "faults.existingSecret": "s", "faults.tokenKey": ""},
            "/faults/tokenKey",
        ),
        ({"faults.token": "in-the-values"}, "additional properties 'token' not allowed"),
    ],
)
def test_faults_cannot_be_enabled_without_a_token_from_a_secret(
    helm: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError) as refused:
        template(values=values)

    assert message in str(refused.value)
