"""The gateway's trusted proxies come from one value, reach the gateway as the variable
its entrypoint reads, and are addresses or ranges only (libs/devstack/tests/
test_gateway_trusted_proxies.py shows what nginx does with them)."""

from typing import Any

import pytest

from clusterkit.helm import RenderError, template


def gateway_settings(documents: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = [
        d
        for d in documents
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pyservices-gateway"
    ]
    result: dict[str, str] = config["data"]
    return result


def test_no_proxy_is_trusted_by_default(default_render: list[dict[str, Any]]) -> None:
    assert gateway_settings(default_render)["GATEWAY_TRUSTED_PROXIES"] == ""


def test_the_gateway_trusts_the_proxies_of_its_value(helm: str) -> None:
    rendered = template(values={"components.gateway.trustedProxies": "{10.0.0.0/8,2001:db8::1}"})

    assert gateway_settings(rendered)["GATEWAY_TRUSTED_PROXIES"] == "10.0.0.0/8,2001:db8::1"


@pytest.mark.parametrize("proxy", ["ingress.example", "10.0.0.0/8;", "*"])
def test_anything_but_an_address_or_range_is_refused(helm: str, proxy: str) -> None:
    with pytest.raises(RenderError, match="trustedProxies"):
        template(values={"components.gateway.trustedProxies": "{" + proxy + "}"})
