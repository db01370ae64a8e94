"""The chart lints, every value set renders objects that Kubernetes 1.30 and 1.35 accept
(strict: unknown fields are errors, and so is a kind without a schema), and bad values
stop `helm install` with a clear message instead of a pod that crash-loops."""

import subprocess
from typing import Any

import kubernetes_validate
import pytest

from clusterkit.helm import RenderError, chart_dir, template
from clusterkit.pod_security import containers_of, restricted_problems

KUBERNETES_VERSIONS = ["1.30", "1.35"]


def test_the_chart_lints_strictly(helm: str) -> None:
    for values in [None, *sorted((chart_dir() / "ci").glob("*.yaml"))]:
        argv = [helm, "lint", "--strict", str(chart_dir())]
        argv += ["--values", str(values)] if values else []
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


# The Prometheus operator's CRDs: no schema of Kubernetes' covers them, so their objects
# are checked by test_prometheus_operator.py instead (and said so there).
OPERATOR_API = "monitoring.coreos.com/"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_kubernetes(rendered: list[dict[str, Any]], version: str) -> None:
    assert rendered
    for document in rendered:
        where = f"{document['kind']}/{document['metadata']['name']}"
        if document["apiVersion"].startswith(OPERATOR_API):
            continue
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{where}: no schema in Kubernetes {version} (a removed API?)")
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{where} is invalid in Kubernetes {version}: {error.message}")


def test_no_image_is_latest_or_pulled_always_by_default(rendered: list[dict[str, Any]]) -> None:
    for container in containers(rendered):
        image = container["image"]
        assert ":" in image.rsplit("/", 1)[-1], f"{image} has no tag"
        assert not image.endswith(":latest")
        assert container.get("imagePullPolicy") != "Always"


def test_selectors_stay_the_same_when_the_image_tag_changes(helm: str) -> None:
    """A Deployment's selector is immutable: an upgrade must not change it."""
    before = {selector_of(d) for d in template(values={"image.tag": "1.0.0"})}
    after = {selector_of(d) for d in template(values={"image.tag": "2.0.0"})}

    assert before == after
    assert len(before) > 5


def test_every_workload_runs_under_the_restricted_pod_security_profile(
    rendered: list[dict[str, Any]],
) -> None:
    assert [problem for d in rendered for problem in restricted_problems(d)] == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"nonsense": "1"}, "additional properties 'nonsense' not allowed"),
        ({"components.users.colour": "blue"}, "additional properties 'colour' not allowed"),
        ({"components.users.database": "oracle"}, "value must be one of 'postgres', 'mysql'"),
        ({"allServicesOn": "sqlite"}, "/allServicesOn"),
        ({"components.items.replicas": "-1"}, "minimum: got -1, want 0"),
        ({"components.beat.replicas": "2"}, "maximum: got 2, want 1"),
        ({"postgres.image": "postgres:latest"}, "/postgres/image"),
        ({"postgres.enabled": "false"}, "which is on postgres: neither installed"),
        (
            {"mysql.enabled": "false", "mysql.external.url": "postgresql://x@db/y"},
            "mysql.external.url must start with mysql://",
        ),
        ({"postgres.external.url": "postgresql://x@db/y"}, "set postgres.enabled=false"),
        ({"redis.enabled": "false"}, "needs Redis"),
        ({"components.users.enabled": "false"}, "talks to users, which is disabled"),
    ],
    ids=lambda value: value if isinstance(value, str) else ",".join(value),
)
def test_bad_values_are_refused_at_install_with_a_clear_message(
    helm: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError) as refused:
        template(values=values)

    assert message in str(refused.value)


def containers(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [container for document in documents for container in containers_of(document)]


def selector_of(
    document: dict[str, Any],
) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    if document["kind"] not in ("Deployment", "StatefulSet"):
        return None
    labels = document["spec"]["selector"]["matchLabels"]
    return (document["metadata"]["name"], tuple(sorted(labels.items())))
