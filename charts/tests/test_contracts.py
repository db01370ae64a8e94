"""The chart and the code agree: every variable a container gets is a setting of that
part, every probe path is a route, every port is the one its command serves, every
address points at a Service of the render, and the dashboards and alert rules are the
repository's own files, checked by promtool."""

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi import FastAPI
from pydantic import BaseModel, SecretStr

from clusterkit import dockerfiles
from clusterkit.images import IMAGES
from devstack.binaries import find_binary
from devstack.gateway import TRUSTED_PROXIES_FILE, render
from devstack.gateway_edge import FILE_SETTINGS, EdgeSettings
from devstack.layout import gateway_template, repo_root
from items_service.app import create_items_app
from items_service.settings import ItemsSettings
from servicekit.core.settings import DatabaseSettings
from servicekit.db.migrate import MigrationSettings
from tasks_service.app import create_tasks_app
from tasks_service.settings import TasksSettings
from users_service.app import create_users_app
from users_service.settings import UsersSettings
from worker_service.settings import WorkerSettings

ROOT = repo_root()
# The OpenTelemetry SDK reads its own standard variables; servicekit.observability.tracing exports
# spans when this one is set.
OTEL = {"OTEL_EXPORTER_OTLP_ENDPOINT"}
# Locust's own options as environment variables (`locust --help`: LOCUST_HOST, ...),
# and the Redis its fault panel writes to (loadtest.fault_panel's --fault-redis default).
LOCUST = {"LOCUST_HOST", "REDIS_URL"}
# uvicorn's own: whose X-Forwarded-For it believes (users counts logins by address).
UVICORN = {"FORWARDED_ALLOW_IPS"}


def setting_names(*classes: type[BaseModel]) -> set[str]:
    return {name.upper() for cls in classes for name in cls.model_fields}


def gateway_placeholders() -> set[str]:
    text = (ROOT / "gateway" / "nginx.conf.template").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", "\n".join(lines)))


# What each container may be given: component (or Job step) -> allowed variable names.
ALLOWED = {
    "users": setting_names(UsersSettings) | OTEL | UVICORN,
    "items": setting_names(ItemsSettings) | OTEL,
    "tasks": setting_names(TasksSettings) | OTEL,
    "worker": setting_names(WorkerSettings) | OTEL,
    "beat": setting_names(WorkerSettings) | OTEL,
    # The entrypoint's own: the proxies whose X-Forwarded-For it believes, and the
    # settings it writes into included files (allowed origins, per-client limits).
    "gateway": gateway_placeholders() | {"GATEWAY_TRUSTED_PROXIES", *FILE_SETTINGS},
    "locust": LOCUST,
    "migrate": setting_names(MigrationSettings),
    "seed": setting_names(DatabaseSettings),
    "comparison": set(),
}
OUR_PARTS = set(ALLOWED)


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def pods(documents: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(component label, pod spec) of every workload of ours."""
    for document in documents:
        if document["kind"] in ("Deployment", "Job"):
            template = document["spec"]["template"]
            yield template["metadata"]["labels"]["app.kubernetes.io/component"], template["spec"]


def environment(
    container: dict[str, Any], config_maps: dict[str, dict[str, Any]]
) -> dict[str, str | None]:
    """Variable -> plain value (None for a secret) of one container."""
    found: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        found |= config_maps[source["configMapRef"]["name"]]["data"] or {}
    for variable in container.get("env", []):
        found[variable["name"]] = variable.get("value")
    return found


def password_carriers(container: dict[str, Any]) -> set[str]:
    """The SECRET_* variables a later variable of the container completes itself with
    ($(NAME), which the kubelet expands): the passwords of the URLs, no setting."""
    carriers = set()
    env = container.get("env", [])
    for index, variable in enumerate(env):
        name = variable["name"]
        later = " ".join(v.get("value") or "" for v in env[index + 1 :])
        if name.startswith("SECRET_") and f"$({name})" in later:
            carriers.add(name)
    return carriers


def test_every_variable_a_container_gets_is_a_setting_of_that_part(
    rendered: list[dict[str, Any]],
) -> None:
    config_maps = by_kind(rendered, "ConfigMap")
    checked = 0
    for component, spec in pods(rendered):
        for container in spec["containers"] + spec.get("initContainers", []):
            part = container["name"] if component.startswith("migrate-") else component
            if part not in OUR_PARTS:
                continue
            given = set(environment(container, config_maps)) - password_carriers(container)
            unknown = given - ALLOWED[part]
            assert not unknown, f"{component}/{container['name']}: {sorted(unknown)}"
            checked += 1
    assert checked, "no container of ours in this render"


def test_every_part_that_verifies_tokens_knows_the_issuers_lifetime(
    default_render: list[dict[str, Any]],
) -> None:
    # A verifier refuses a token made to live longer than ACCESS_TOKEN_TTL_SECONDS
    # (servicekit.security.tokens): one left at its default would refuse every token of an
    # issuer configured for longer ones.
    config_maps = by_kind(default_render, "ConfigMap")
    lifetimes = {}
    for component, spec in pods(default_render):
        for container in spec["containers"]:
            env = environment(container, config_maps)
            if "JWT_PUBLIC_KEY" in env:
                lifetimes[component] = env.get("ACCESS_TOKEN_TTL_SECONDS")
    assert {"users", "items", "tasks"} <= lifetimes.keys()
    assert set(lifetimes.values()) == {"3600"}, lifetimes


def routes_of(app: FastAPI) -> set[str]:
    """The paths the app documents (the probes' included: /healthz, /readyz)."""
    return set(app.openapi()["paths"])


@pytest.fixture(scope="module")
def service_routes() -> dict[str, set[str]]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    database_url = "postgresql://nobody@127.0.0.1:9/none"
    users = UsersSettings(database_url=database_url, jwt_private_key=SecretStr(private))
    public_key = users.jwt_public_key
    items = ItemsSettings(database_url=database_url, jwt_public_key=public_key)
    tasks = TasksSettings(database_url=database_url, jwt_public_key=public_key)
    return {
        "users": routes_of(create_users_app(users)),
        "items": routes_of(create_items_app(items)),
        "tasks": routes_of(create_tasks_app(tasks)),
        "gateway": set(re.findall(r"location = (/\S+)", gateway_template_text())),
        "locust": {"/"},  # Locust's web UI (containers/tests checks it answers)
    }


def gateway_template_text() -> str:
    return (ROOT / "gateway" / "nginx.conf.template").read_text()


def test_every_probe_path_is_a_route_of_that_app(
    default_render: list[dict[str, Any]], service_routes: dict[str, set[str]]
) -> None:
    probed = 0
    for component, spec in pods(default_render):
        if component not in service_routes:  # Prometheus, Grafana, Jaeger: not ours
            continue
        for container in spec["containers"]:
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(kind)
                if probe and "httpGet" in probe:
                    assert probe["httpGet"]["path"] in service_routes[component], component
                    probed += 1
    assert probed >= 12


def test_the_worker_probe_command_is_its_liveness_module(
    default_render: list[dict[str, Any]],
) -> None:
    deployments = by_kind(default_render, "Deployment")
    worker = deployments["pyservices-worker"]["spec"]["template"]["spec"]["containers"][0]

    assert worker["livenessProbe"]["exec"]["command"] == ["python", "-m", "worker_service.liveness"]
    assert (ROOT / "services/worker/src/worker_service/liveness.py").is_file()


def image_environment(dockerfile: str) -> dict[str, str]:
    """The ENV of a Dockerfile's last stage: name -> value."""
    text = (ROOT / dockerfile).read_text().replace("\\\n", " ")
    last_stage = text[text.rindex("\nFROM ") :]
    found: dict[str, str] = {}
    for line in re.findall(r"^ENV (.*)$", last_stage, re.MULTILINE):
        found |= dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", line))
    return found


def test_the_chart_gateway_renders_the_template_completely(
    rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The configuration the chart's gateway pod runs: the template rendered with the
    image's defaults and the chart's environment, every placeholder given, accepted by
    nginx with the files the entrypoint writes for the chart's CORS and limit values; the
    API document and UI from where the image's build put them."""
    config_maps = by_kind(rendered, "ConfigMap")
    gateways = [spec for component, spec in pods(rendered) if component == "gateway"]
    if not gateways:
        pytest.skip("no gateway in this value set")
    image = image_environment("gateway/Dockerfile")
    given = {
        name: value
        for name, value in (image | environment(gateways[0]["containers"][0], config_maps)).items()
        if value is not None
    }
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / TRUSTED_PROXIES_FILE).write_text("")
    # What the entrypoint makes of the edge values (charts/tests/test_gateway_edge.py holds
    # the two to the same output): normalized placeholders and the included files.
    edge = EdgeSettings.from_environ(given)
    given |= edge.placeholders
    for name, content in edge.files.items():
        (runtime / name).write_text(content)
    config = render(gateway_template(), given | {"NGINX_RUNTIME_DIR": str(runtime)})

    docs = image["GATEWAY_API_DOCS"]
    assert (
        f"COPY --from=api-docs /opt/api-docs {docs}\n" in (ROOT / "gateway/Dockerfile").read_text()
    )
    assert f"root {docs};" in config
    # nginx -t resolves the upstreams: the chart's Service names resolve in a cluster only.
    loopback = {name: "127.0.0.1:8000" for name in given if name.endswith("_UPSTREAM")}
    checkable = render(gateway_template(), given | loopback | {"NGINX_RUNTIME_DIR": str(runtime)})
    (runtime / "nginx.conf").write_text(checkable)
    checked = subprocess.run(
        [find_binary("nginx"), "-p", f"{runtime}/", "-c", str(runtime / "nginx.conf"), "-t", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def image_command(part: str) -> list[str]:
    """The exec-form CMD of the part's image, as `make images` builds it."""
    image = next(image for image in IMAGES if image.part == part)
    return dockerfiles.command(ROOT / image.dockerfile, image.target, image.args)


def option(command: list[str], name: str) -> int:
    return int(command[command.index(name) + 1])


def container_ports(container: dict[str, Any]) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container.get("ports", [])}


def test_every_container_port_is_the_port_its_command_serves(
    default_render: list[dict[str, Any]],
) -> None:
    config_maps = by_kind(default_render, "ConfigMap")
    served = {}
    for service in ("users", "items", "tasks"):
        served[service] = {"http": option(image_command(service), "--port")}
    locust = image_command("loadtest")
    served["locust"] = {
        "http": option(locust, "--web-port"),
        "metrics": option(locust, "--metrics-port"),
    }
    for component, spec in pods(default_render):
        container = spec["containers"][0]
        ports = container_ports(container)
        env = environment(container, config_maps)
        if component == "worker":
            assert ports == {"metrics": int(env["METRICS_PORT"] or "")}
        elif component == "gateway":
            assert ports == {"http": int(env["GATEWAY_LISTEN"] or "")}
        elif component in served:
            assert ports == served[component], component


def address_of(value: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL or a bare host:port, else None."""
    if "://" in value:
        parts = urlsplit(value)
        return (parts.hostname, parts.port) if parts.hostname and parts.port else None
    match = re.fullmatch(r"([a-z0-9-]+):(\d+)", value)
    return (match[1], int(match[2])) if match else None


def service_ports(documents: list[dict[str, Any]]) -> dict[str, set[int]]:
    return {
        name: {port["port"] for port in service["spec"]["ports"]}
        for name, service in by_kind(documents, "Service").items()
    }


def test_every_address_a_part_is_given_is_a_service_of_the_render(
    rendered: list[dict[str, Any]],
) -> None:
    services = service_ports(rendered)
    config_maps = by_kind(rendered, "ConfigMap")
    addresses: list[tuple[str, int] | None] = []
    for _component, spec in pods(rendered):
        for container in spec["containers"]:
            values = environment(container, config_maps).values()
            for value in values:
                if not value:
                    continue
                found = address_of(value)
                # A datastore URL names an external server or a Service of the release.
                if found and (value.startswith("http") or found[0].startswith("pyservices-")):
                    addresses.append(found)
    # Another release's gateway, which Locust alone is pointed at (ci/load-values.yaml).
    elsewhere = address_of(values_of(rendered).get("targetUrl") or "http://nowhere:1")
    connections = by_kind(rendered, "Secret").get("pyservices-connections", {})
    for value in connections.get("stringData", {}).values():
        found = address_of(value)
        if found and found[0].startswith("pyservices-"):
            addresses.append(found)
    if "pyservices-grafana-provisioning" in config_maps:
        sources = config_maps["pyservices-grafana-provisioning"]["data"]["datasources.yaml"]
        addresses += [address_of(s["url"]) for s in yaml.safe_load(sources)["datasources"]]

    assert addresses
    for address in addresses:
        assert address is not None, "a Grafana data source without host:port"
        host, port = address
        if (host, port) != elsewhere:
            assert port in services.get(host, set()), f"{host}:{port} is no Service of the render"


def values_of(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Locust's targetUrl as rendered: its LOCUST_HOST when it names no Service here."""
    config_maps = by_kind(documents, "ConfigMap")
    host = (config_maps.get("pyservices-locust") or {}).get("data", {}).get("LOCUST_HOST", "")
    return {"targetUrl": host}


def test_prometheus_scrapes_every_pod_of_the_parts_that_serve_metrics(
    default_render: list[dict[str, Any]],
) -> None:
    config = by_kind(default_render, "ConfigMap")["pyservices-prometheus"]["data"]
    jobs = yaml.safe_load(config["prometheus.yml"])["scrape_configs"]
    services = by_kind(default_render, "Service")
    deployments = by_kind(default_render, "Deployment")

    assert {job["job_name"] for job in jobs} == {"users", "items", "tasks", "worker", "locust"}
    for job in jobs:
        (discovery,) = job["dns_sd_configs"]
        (name,) = discovery["names"]
        service = services[name.split(".")[0]]
        # Headless and listing unready pods: DNS answers with every pod's address.
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["publishNotReadyAddresses"] is True
        assert [p["port"] for p in service["spec"]["ports"]] == [discovery["port"]]
        pod = deployments[f"pyservices-{job['job_name']}"]["spec"]["template"]
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        assert discovery["port"] in container_ports(pod["spec"]["containers"][0]).values()


def test_dashboards_and_rules_are_the_repositorys_files_byte_for_byte(
    default_render: list[dict[str, Any]],
) -> None:
    config_maps = by_kind(default_render, "ConfigMap")
    dashboards = config_maps["pyservices-grafana-dashboards"]["data"]
    on_disk = sorted((ROOT / "observability" / "dashboards").glob("*.json"))

    assert sorted(dashboards) == [path.name for path in on_disk]
    for path in on_disk:
        assert dashboards[path.name] == path.read_text(), path.name
    rules = config_maps["pyservices-prometheus"]["data"]["rules.yml"]
    assert rules == (ROOT / "observability" / "prometheus" / "rules.yml").read_text()


def test_the_rendered_prometheus_config_passes_promtool(
    default_render: list[dict[str, Any]], tmp_path: Path
) -> None:
    data = by_kind(default_render, "ConfigMap")["pyservices-prometheus"]["data"]
    (tmp_path / "rules.yml").write_text(data["rules.yml"])
    config = data["prometheus.yml"].replace(
        "/etc/prometheus/rules.yml", str(tmp_path / "rules.yml")
    )
    (tmp_path / "prometheus.yml").write_text(config)
    promtool = find_binary("promtool")

    checked = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout + checked.stderr


def test_the_chart_holds_no_copy_of_the_rules_or_dashboards() -> None:
    """files/ holds symlinks to observability/, so there is nothing to drift. (The
    gateway's template is in its image, built from gateway/nginx.conf.template.)"""
    chart_files = ROOT / "charts" / "pyservices" / "files"
    links = [chart_files / "rules.yml", *(chart_files / "dashboards").glob("*.json")]

    for link in links:
        assert link.is_symlink(), link
        assert link.resolve().is_relative_to(ROOT)
        assert not link.resolve().is_relative_to(chart_files)
