"""k8s/kind-config.yaml says what the chart and skaffold really do: each thing its
comments claim is checked against the renders and skaffold.yaml."""

import re
from typing import Any

import yaml

from clusterkit.helm import chart_dir, template
from devstack.layout import repo_root

ROOT = repo_root()
KIND = ROOT / "k8s" / "kind-config.yaml"
KUBERNETES_VERSIONS = ["1.30", "1.35"]  # as charts/tests/test_render.py validates


def comments() -> str:
    lines = KIND.read_text().splitlines()
    return " ".join(line.lstrip("# ") for line in lines if line.startswith("#"))


def everything() -> list[dict[str, Any]]:
    return template([chart_dir() / "ci" / "everything-values.yaml"])


def has_anti_affinity(documents: list[dict[str, Any]]) -> bool:
    return any(
        "podAntiAffinity" in (d["spec"]["template"]["spec"].get("affinity") or {})
        for d in documents
        if d["kind"] in ("Deployment", "StatefulSet")
    )


def deletes_volumes_under_skaffold() -> bool:
    documents = template([chart_dir() / "ci" / "app-values.yaml"])
    return all(
        d["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Delete"
        for d in documents
        if d["kind"] == "StatefulSet"
    )


# A word of the comments -> what must hold for it to be true.
CLAIMS = {
    "anti-affinity": lambda: has_anti_affinity(everything()),
    "PodDisruptionBudget": lambda: any(d["kind"] == "PodDisruptionBudget" for d in everything()),
    "deleteOnUninstall": deletes_volumes_under_skaffold,
}


def test_every_claim_of_the_comments_holds() -> None:
    text = comments()
    claimed = [word for word in CLAIMS if word.lower() in text.lower()]

    assert claimed, "the comments say nothing this test knows to check"
    for word in claimed:
        assert CLAIMS[word](), f"kind-config.yaml mentions {word}, which the chart does not do"


def test_the_forwarded_ports_are_skaffolds() -> None:
    said = {int(port) for port in re.findall(r"\b(\d{4,5})\b", comments().split("127.0.0.1")[1])}
    forwarded = {
        forward["localPort"]
        for config in yaml.safe_load_all((ROOT / "skaffold.yaml").read_text())
        for forward in config.get("portForward", [])
    }

    assert said == forwarded


def test_the_node_image_is_a_kubernetes_the_renders_are_validated_against() -> None:
    nodes = yaml.safe_load(KIND.read_text())["nodes"]
    found = [re.search(r"kindest/node:v(\d+\.\d+)\.", n["image"]) for n in nodes]
    assert all(found), nodes
    versions = {match[1] for match in found if match}

    assert versions <= set(KUBERNETES_VERSIONS)
    assert len(nodes) >= 2
