"""The observability parts on supported releases, and the Prometheus operator's objects.

PodMonitor and PrometheusRule are objects of the operator's CRDs: kubernetes-validate
has no schema for them, and the CRDs are not vendored here. So their structure is
checked against the fields this chart means to set (of monitoring.coreos.com/v1) and
against the pods they select: labels, named ports, job names. Not validated: the CRDs'
own OpenAPI schemas (types and enums of every field), and what an operator makes of them.
"""

import re
from typing import Any

import yaml

from clusterkit.helm import chart_dir, template
from devstack.layout import repo_root

EVERYTHING = chart_dir() / "ci" / "everything-values.yaml"
RULES = repo_root() / "observability" / "prometheus" / "rules.yml"
API = "monitoring.coreos.com/v1"
POD_MONITOR_SPEC = {"jobLabel", "selector", "podMetricsEndpoints"}
ENDPOINT = {"port", "path", "interval"}
RULE = {"alert", "record", "expr", "for", "labels", "annotations"}


def images(documents: list[dict[str, Any]]) -> dict[str, str]:
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in documents
        if d["kind"] == "Deployment"
    }


def test_the_trace_backend_prometheus_and_grafana_are_current_and_pinned(
    default_render: list[dict[str, Any]],
) -> None:
    found = images(default_render)

    # Jaeger 1 (all-in-one) is end of life; Jaeger 2 is one image configured by a file.
    assert re.fullmatch(r"docker\.io/jaegertracing/jaeger:2\.\d+\.\d+", found["pyservices-jaeger"])
    assert re.fullmatch(r"docker\.io/prom/prometheus:v3\.\d+\.\d+", found["pyservices-prometheus"])
    assert re.fullmatch(r"docker\.io/grafana/grafana:1[2-9]\.\d+\.\d+", found["pyservices-grafana"])


def test_jaeger_receives_otlp_and_serves_grafana_on_the_services_ports(
    default_render: list[dict[str, Any]],
) -> None:
    config_maps = {d["metadata"]["name"]: d for d in default_render if d["kind"] == "ConfigMap"}
    config = yaml.safe_load(config_maps["pyservices-jaeger"]["data"]["config.yaml"])
    service = next(
        d
        for d in default_render
        if d["kind"] == "Service" and d["metadata"]["name"] == "pyservices-jaeger"
    )
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}

    otlp = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert otlp.endswith(f":{ports['otlp-http']}")
    assert config["extensions"]["jaeger_query"]["http"]["endpoint"].endswith(f":{ports['ui']}")
    (store,) = config["extensions"]["jaeger_storage"]["backends"].values()
    assert store["memory"]["max_traces"] == 50000
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline == {"receivers": ["otlp"], "exporters": ["jaeger_storage_exporter"]}


def test_no_operator_object_unless_asked(default_render: list[dict[str, Any]]) -> None:
    assert not [d for d in default_render if d["apiVersion"].startswith("monitoring.coreos")]


def pods_by_labels(documents: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod labels, pod spec) of every Deployment."""
    return [
        (d["spec"]["template"]["metadata"]["labels"], d["spec"]["template"]["spec"])
        for d in documents
        if d["kind"] == "Deployment"
    ]


def test_pod_monitors_scrape_every_part_under_its_job_name_on_a_named_port(helm: str) -> None:
    documents = template([EVERYTHING])
    monitors = [d for d in documents if d["kind"] == "PodMonitor"]
    prometheus = next(
        d
        for d in documents
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pyservices-prometheus"
    )
    scraped = {
        job["job_name"]
        for job in yaml.safe_load(prometheus["data"]["prometheus.yml"])["scrape_configs"]
    }

    jobs = set()
    for monitor in monitors:
        assert monitor["apiVersion"] == API
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        spec = monitor["spec"]
        assert set(spec) == POD_MONITOR_SPEC
        selector = spec["selector"]["matchLabels"]
        (pod,) = [
            (labels, p)
            for labels, p in pods_by_labels(documents)
            if selector.items() <= labels.items()
        ]
        labels, pod_spec = pod
        named_ports = {port["name"] for c in pod_spec["containers"] for port in c.get("ports", [])}
        for endpoint in spec["podMetricsEndpoints"]:
            assert set(endpoint) <= ENDPOINT
            assert endpoint["port"] in named_ports, monitor["metadata"]["name"]
            assert endpoint["path"] == "/metrics"
        jobs.add(labels[spec["jobLabel"]])
    # The jobs the chart's own Prometheus has, which the rules and dashboards name.
    assert jobs == scraped


def test_the_prometheus_rule_is_the_repositorys_rules_file(helm: str) -> None:
    documents = template([EVERYTHING])
    (rule,) = [d for d in documents if d["kind"] == "PrometheusRule"]

    assert rule["apiVersion"] == API
    assert set(rule["spec"]) == {"groups"}
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]
    for group in rule["spec"]["groups"]:
        for entry in group["rules"]:
            assert set(entry) <= RULE
