"""The chart through a cluster's life: what `helm uninstall` leaves for the next install,
passwords from values or from Secrets of yours, and renders that a GitOps tool (helm
template alone: no lookup, revision 1) can apply again and again."""

import base64
import re
from typing import Any

import pytest

from clusterkit.helm import RenderError, chart_dir, template
from clusterkit.pod_security import containers_of

KEEP = "helm.sh/resource-policy"
GITOPS = chart_dir() / "ci" / "gitops-values.yaml"
PASSWORD_KEYS = {
    "postgres-password",
    "mysql-root-password",
    "redis-password",
    "users-db-password",
    "items-db-password",
    "tasks-db-password",
    "grafana-admin-password",
}


def named(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def secret_refs(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every secretKeyRef of every container."""
    refs = []
    for document in documents:
        for container in containers_of(document):
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.append(ref)
    return refs


def test_the_secrets_that_data_depends_on_outlive_uninstall(
    default_render: list[dict[str, Any]],
) -> None:
    secrets = named(default_render, "Secret")

    assert secrets["pyservices-datastores"]["metadata"]["annotations"][KEEP] == "keep"
    assert secrets["pyservices-tokens"]["metadata"]["annotations"][KEEP] == "keep"
    # Everything else goes with the release (nothing else holds what data needs).
    kept = {
        d["kind"] + "/" + d["metadata"]["name"]
        for d in default_render
        if (d["metadata"].get("annotations") or {}).get(KEEP)
    }
    assert kept == {"Secret/pyservices-datastores", "Secret/pyservices-tokens"}


def test_the_datastores_volumes_go_only_when_asked(helm: str) -> None:
    def policies(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {
            name: sts["spec"]["persistentVolumeClaimRetentionPolicy"]
            for name, sts in named(documents, "StatefulSet").items()
        }

    kept = policies(template())
    deleted = policies(template(values={"persistence.deleteOnUninstall": "true"}))
    development = policies(template([chart_dir() / "ci" / "app-values.yaml"]))

    assert len(kept) == 3
    assert {p["whenDeleted"] for p in kept.values()} == {"Retain"}
    assert {p["whenDeleted"] for p in deleted.values()} == {"Delete"}
    # skaffold's value set: a development cluster is throwaway.
    assert {p["whenDeleted"] for p in development.values()} == {"Delete"}
    assert {p["whenScaled"] for p in [*kept.values(), *deleted.values()]} == {"Retain"}


def test_passwords_from_a_secret_of_yours_reach_every_part(helm: str) -> None:
    documents = template(values={"auth.existingSecret": "mine"})

    assert "pyservices-datastores" not in named(documents, "Secret")
    passwords = [ref for ref in secret_refs(documents) if ref["key"] in PASSWORD_KEYS]
    assert {ref["key"] for ref in passwords} == PASSWORD_KEYS
    assert {ref["name"] for ref in passwords} == {"mine"}


def test_a_datastore_password_from_its_own_secret_and_the_rest_made(helm: str) -> None:
    documents = template(values={"postgres.auth.existingSecret": "pg-admin"})

    sources = {(ref["key"], ref["name"]) for ref in secret_refs(documents)}
    assert ("postgres-password", "pg-admin") in sources
    assert ("postgres-password", "pyservices-datastores") not in sources
    made = named(documents, "Secret")["pyservices-datastores"]["data"]
    assert set(made) == PASSWORD_KEYS - {"postgres-password"}


def test_passwords_given_in_values_are_the_ones_the_servers_get(helm: str) -> None:
    documents = template(
        values={"postgres.auth.password": "pg-Secret.1", "auth.databasePasswords.users": "u-2"}
    )

    data = named(documents, "Secret")["pyservices-datastores"]["data"]
    assert base64.b64decode(data["postgres-password"]).decode() == "pg-Secret.1"
    assert base64.b64decode(data["users-db-password"]).decode() == "u-2"


@pytest.mark.parametrize(
    "values",
    [{"postgres.auth.password": "p@ss"}, {"auth.databasePasswords.items": "a/b"}],
    ids=["at", "slash"],
)
def test_a_password_that_would_break_its_url_is_refused(helm: str, values: dict[str, Any]) -> None:
    with pytest.raises(RenderError, match="does not match pattern"):
        template(values=values)


def test_every_url_completes_from_variables_defined_before_it(
    rendered: list[dict[str, Any]],
) -> None:
    """The kubelet expands $(NAME) only from variables earlier in the same list."""
    completed = 0
    for document in rendered:
        for container in containers_of(document):
            defined: set[str] = set()
            for variable in container.get("env", []):
                for reference in re.findall(r"\$\((\w+)\)", variable.get("value") or ""):
                    assert reference in defined, f"{container['name']}: {variable['name']}"
                    completed += 1
                defined.add(variable["name"])
    if any(d["kind"] == "StatefulSet" for d in rendered):
        assert completed


def test_two_renders_without_a_cluster_give_the_same_objects(helm: str) -> None:
    first = template([GITOPS])
    second = template([GITOPS])

    assert first == second
    assert not named(first, "Secret"), "every secret comes from the GitOps side"


def job_names(documents: list[dict[str, Any]]) -> set[str]:
    return set(named(documents, "Job"))


def test_a_new_image_is_a_new_migration_job_and_the_same_image_the_same(helm: str) -> None:
    before = job_names(template([GITOPS], {"image.tag": "1.0.0"}))
    again = job_names(template([GITOPS], {"image.tag": "1.0.0"}))
    after = job_names(template([GITOPS], {"image.tag": "1.0.1"}))

    assert len(before) == 3
    assert before == again
    assert before.isdisjoint(after)
    for name in before | after:
        assert re.fullmatch(r"pyservices-migrate-(users|items|tasks)-[0-9a-f]{10}", name), name


def test_a_changed_comparison_is_a_new_job(helm: str) -> None:
    on = {"comparison.enabled": "true"}
    first = job_names(template(values=on))
    longer = job_names(template(values=on | {"comparison.seconds": "60"}))

    (comparison,) = {name for name in first if "comparison" in name}
    assert comparison not in longer
