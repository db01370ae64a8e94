"""A configuration change restarts what reads it: the pod templates of Prometheus,
Grafana and Jaeger carry a checksum of their configuration as rendered, so toggling a
part that changes a scrape job or a datasource rolls them (helm upgrade, or a GitOps
sync)."""

from typing import Any

import pytest

from clusterkit.helm import template


def checksum(documents: list[dict[str, Any]], deployment: str) -> str:
    (found,) = [
        d
        for d in documents
        if d["kind"] == "Deployment" and d["metadata"]["name"] == f"pyservices-{deployment}"
    ]
    annotations: dict[str, str] = found["spec"]["template"]["metadata"]["annotations"]
    (value,) = [v for k, v in annotations.items() if k.startswith("checksum/")]
    return value


@pytest.mark.parametrize(
    ("deployment", "toggle"),
    [
        ("prometheus", {"components.locust.enabled": "false"}),  # a scrape job less
        ("grafana", {"tracing.enabled": "false"}),  # the Jaeger datasource goes
        ("jaeger", {"tracing.maxTraces": "1000"}),
    ],
    ids=["prometheus-locust", "grafana-tracing", "jaeger-max-traces"],
)
def test_a_change_to_the_rendered_config_changes_the_pod_template(
    helm: str, deployment: str, toggle: dict[str, Any]
) -> None:
    before = checksum(template(), deployment)
    after = checksum(template(values=toggle), deployment)

    assert before != after


def test_an_unrelated_change_leaves_them_alone(helm: str) -> None:
    before = template()
    after = template(values={"components.users.resources.limits.cpu": "2"})

    for deployment in ("prometheus", "grafana", "jaeger"):
        assert checksum(before, deployment) == checksum(after, deployment)
