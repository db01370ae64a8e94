"""What the chart already did, done right: an external URL's query string reaches the
services (or is refused with the reason), bounds that cannot work are refused, Postgres
has a /dev/shm of its own size, and a chart release alone restarts no pod."""

from typing import Any

import pytest

from clusterkit.helm import RenderError, template
from clusterkit.pod_security import containers_of

PG_WITH_TLS = {
    "postgres.enabled": "false",
    "postgres.external.url": "postgresql://admin:pw@db.example:5432/postgres?sslmode=require",
}


def env_values(documents: list[dict[str, Any]], name: str) -> dict[str, str]:
    """container name -> the plain value of variable `name`, where it has one."""
    found = {}
    for document in documents:
        for container in containers_of(document):
            for variable in container.get("env", []):
                if variable["name"] == name and "value" in variable:
                    found[f"{document['metadata']['name']}/{container['name']}"] = variable["value"]
    return found


def test_the_query_string_of_an_external_url_reaches_every_service_url(helm: str) -> None:
    documents = template(values=PG_WITH_TLS)

    urls = {
        **env_values(documents, "DATABASE_URL"),
        **env_values(documents, "ITEMS_DATABASE_URL"),
    }
    on_postgres = {where: url for where, url in urls.items() if url.startswith("postgresql")}
    # users, items (service and both Job steps each), the worker's and beat's items URL.
    assert len(on_postgres) >= 6
    for where, url in on_postgres.items():
        assert url.endswith("?sslmode=require"), where


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {**PG_WITH_TLS, "postgres.external.url": "postgresql://a@db/p?sslrootcert=/ca.pem"},
            "?sslrootcert is not supported: of libpq's options only sslmode reaches both",
        ),
        (
            {**PG_WITH_TLS, "postgres.external.url": "postgresql://a@db/p?sslmode=maybe"},
            "sslmode=maybe is none of disable",
        ),
        (
            {"mysql.enabled": "false", "mysql.external.url": "mysql://a@db/?ssl_ca=/ca.pem"},
            "PyMySQL and asyncmy take TLS and other options differently",
        ),
        (
            {
                "autoscaling.enabled": "true",
                "autoscaling.minReplicas": "3",
                "autoscaling.maxReplicas": "2",
            },
            "autoscaling.maxReplicas (2) is below autoscaling.minReplicas (3)",
        ),
        ({"podDisruptionBudget.maxUnavailable": "0"}, "minimum: got 0, want 1"),
        ({"podDisruptionBudget.maxUnavailable": "0%"}, "/podDisruptionBudget/maxUnavailable"),
        ({"image.tag": "latest"}, "image.tag latest is a moving tag: nodes that have"),
        ({"image.overrides.users": "r/u:latest"}, "image.overrides.users ends in :latest"),
    ],
    ids=[
        "pg-option",
        "pg-sslmode",
        "mysql-tls",
        "hpa-bounds",
        "pdb-zero",
        "pdb-zero-percent",
        "latest",
        "latest-override",
    ],
)
def test_what_cannot_work_is_refused_with_the_reason(
    helm: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError) as refused:
        template(values=values)

    assert message in str(refused.value)


def test_a_mysql_charset_and_any_redis_query_pass(helm: str) -> None:
    documents = template(
        values={
            "mysql.enabled": "false",
            "mysql.external.url": "mysql://a@db/?charset=utf8mb4",
            "redis.enabled": "false",
            "redis.external.url": "rediss://:pw@cache:6380/0?ssl_cert_reqs=required",
        }
    )

    assert env_values(documents, "DATABASE_URL")


def test_postgres_gets_a_memory_backed_dev_shm(default_render: list[dict[str, Any]]) -> None:
    (postgres,) = [
        d
        for d in default_render
        if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "pyservices-postgres"
    ]
    spec = postgres["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}

    shm = volumes[mounts["/dev/shm"]]["emptyDir"]
    assert shm["medium"] == "Memory"
    assert shm["sizeLimit"]


def test_no_pod_template_carries_the_chart_or_app_version(rendered: list[dict[str, Any]]) -> None:
    """Those change with every chart release; in a pod template they would restart every
    pod of the release for nothing."""
    for document in rendered:
        template_ = document.get("spec", {}).get("template")
        if not template_:
            continue
        labels = template_["metadata"]["labels"]
        where = document["metadata"]["name"]
        assert "helm.sh/chart" not in labels, where
        assert "app.kubernetes.io/version" not in labels, where
        # The objects themselves keep them, for people and tools that look.
        assert "helm.sh/chart" in document["metadata"]["labels"], where
