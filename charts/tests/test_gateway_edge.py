"""What API consumers meet at the gateway (CORS, per-client limits, compression) comes
from components.gateway values, reaches the gateway as the variables its entrypoint
reads, renders the very config `make run` renders for the same settings, and stays off
where the load tests would meet it (libs/devstack/tests/test_gateway_edge.py shows what
nginx does with it)."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from clusterkit.gateway_renders import by_devstack, by_entrypoint
from clusterkit.helm import RenderError, template
from devstack.gateway_edge import DEFAULTS

needs_envsubst = pytest.mark.skipif(
    shutil.which("envsubst") is None, reason="envsubst (gettext-base) missing"
)

EVERY_VALUE = {
    "components.gateway.cors.allowedOrigins": "{https://app.example,http://localhost:3000}",
    "components.gateway.cors.allowedMethods": "{GET,POST}",
    "components.gateway.cors.allowedHeaders": "{Authorization,X-Trace}",
    "components.gateway.cors.maxAgeSeconds": "7200",
    "components.gateway.rateLimits.reads.perSecond": "999999",
    "components.gateway.rateLimits.reads.burst": "0",
    "components.gateway.rateLimits.writes.perSecond": "5",
    "components.gateway.rateLimits.writes.burst": "10",
    "components.gateway.compression.minBytes": "100000000",
    "components.gateway.compression.level": "6",
    "components.gateway.trustedProxies": "{10.0.0.0/8}",
}


def gateway_settings(documents: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = [
        d
        for d in documents
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pyservices-gateway"
    ]
    result: dict[str, str] = config["data"]
    return result


def on_loopback(settings: dict[str, str]) -> dict[str, str]:
    """The ConfigMap's variables with the cluster's upstream names made local ones, for
    nginx to resolve; everything else as the pod gets it."""
    return {
        name: "127.0.0.1:18000" if name.endswith("_UPSTREAM") else value
        for name, value in settings.items()
    }


def test_the_defaults_are_make_runs(default_render: list[dict[str, Any]]) -> None:
    settings = gateway_settings(default_render)

    assert {name: settings[name] for name in DEFAULTS} == DEFAULTS


@needs_envsubst
@pytest.mark.parametrize("values", [{}, EVERY_VALUE], ids=["defaults", "every-value"])
def test_the_chart_renders_the_gateway_make_run_renders(
    helm: str, tmp_path: Path, values: dict[str, str]
) -> None:
    """The ConfigMap through the image's entrypoint, against `make run`'s renderer fed
    the same variables: the same nginx.conf and included files, byte for byte."""
    settings = on_loopback(gateway_settings(template(values=values)))

    image = by_entrypoint(settings, tmp_path / "image")

    assert image == by_devstack(settings, tmp_path / "make-run")
    if values:
        assert "rate=999999r/s" in image["client-limits.conf"]
        assert "gzip_min_length 100000000;" in image["nginx.conf"]
        assert '"http://localhost:3000" $http_origin;' in image["cors-origins.conf"]


def test_the_values_reach_the_gateway_as_its_variables(helm: str) -> None:
    settings = gateway_settings(template(values=EVERY_VALUE))

    assert settings["GATEWAY_CORS_ORIGINS"] == "https://app.example,http://localhost:3000"
    assert settings["GATEWAY_CORS_METHODS"] == "GET,POST"
    assert settings["GATEWAY_READ_RATE"] == "999999"
    assert settings["GATEWAY_GZIP_MIN_BYTES"] == "100000000"


@pytest.mark.parametrize(
    "origin", ["app.example", "https://app.example/", "https://*.example", "null", "https://a b"]
)
def test_a_bad_origin_is_refused(helm: str, origin: str) -> None:
    with pytest.raises(RenderError, match="allowedOrigins"):
        template(values={"components.gateway.cors.allowedOrigins": "{" + origin + "}"})


def test_any_origin_stands_alone(helm: str) -> None:
    template(values={"components.gateway.cors.allowedOrigins": "{*}"})
    with pytest.raises(RenderError, match=r"allowedOrigins: \* \(any origin\) stands alone"):
        template(values={"components.gateway.cors.allowedOrigins": "{*,https://app.example}"})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cors.allowedMethods", "{get}"),
        ("cors.allowedHeaders", "{X-A: b}"),
        ("cors.maxAgeSeconds", "-1"),
        ("rateLimits.reads.perSecond", "-1"),
        ("rateLimits.writes.burst", "1.5"),
        ("compression.level", "0"),
        ("compression.minBytes", "-5"),
    ],
)
def test_other_bad_values_are_refused(helm: str, key: str, value: str) -> None:
    with pytest.raises(RenderError, match=key.rsplit(".", 1)[-1]):
        template(values={f"components.gateway.{key}": value})


def test_the_load_generators_meet_no_limit_by_default(default_render: list[dict[str, Any]]) -> None:
    """Locust and the comparison Job send from one pod address each, as fast as the
    system answers: only no limit at all is above what they send."""
    settings = gateway_settings(default_render)

    assert settings["GATEWAY_READ_RATE"] == settings["GATEWAY_WRITE_RATE"] == "0"


def test_the_comparison_refuses_to_measure_a_limit(helm: str) -> None:
    limited = {"comparison.enabled": "true", "components.gateway.rateLimits.writes.perSecond": "5"}

    with pytest.raises(RenderError, match="comparison drives the gateway from one address"):
        template(values=limited)
    # Aimed at another system's gateway, this one's limits are not in its way.
    template(values=limited | {"components.locust.targetUrl": "http://elsewhere:8080"})


def test_the_comparison_runs_against_the_default_gateway(helm: str) -> None:
    rendered = template(values={"comparison.enabled": "true"})

    assert any(d["kind"] == "Job" and "comparison" in d["metadata"]["name"] for d in rendered)
