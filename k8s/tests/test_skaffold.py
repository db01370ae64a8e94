"""skaffold.yaml and k8s/, checked where no cluster, skaffold or kind runs: the schema,
and the contracts between skaffold's configs, the Dockerfiles, the chart and the
cluster-side manifests. Profiles are applied as skaffold applies them
(pkg/skaffold/schema/profiles.go): one after the other, each first laying its fields
over the config's (lists replaced whole), then applying its JSON patches (RFC 6902)."""

import copy
import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from clusterkit import dockerfiles
from clusterkit.cluster_smoke import smoke_job
from clusterkit.helm import RenderError, chart_dir, template
from clusterkit.images import IMAGES
from clusterkit.pod_security import containers_of, restricted_problems
from devstack.layout import repo_root

ROOT = repo_root()
SCHEMA = ROOT / "k8s" / "schemas" / "skaffold-v4beta14.json"
OFFICIAL_SCHEMA = ROOT.parent / "shared" / "schemas" / "skaffold-v4beta14.json"
CONFIGS = {
    document["metadata"]["name"]: document
    for document in yaml.safe_load_all((ROOT / "skaffold.yaml").read_text())
}
KUBERNETES_VERSIONS = ["1.30", "1.35"]
BY_NAME = {f"pyservices/{image.part}": image for image in IMAGES}


def resolved(config: str, *profiles: str) -> dict[str, Any]:
    """The config with these profiles applied, the way skaffold applies them."""
    result: dict[str, Any] = copy.deepcopy(CONFIGS[config])
    by_name = {profile["name"]: profile for profile in result.pop("profiles", [])}
    for name in profiles:
        overlay(result, by_name[name])
        for operation in by_name[name].get("patches", []):
            apply_patch(result, operation)
    return result


def apply_patch(document: dict[str, Any], operation: dict[str, Any]) -> None:
    """One RFC 6902 operation (add, replace, remove; skaffold's default op is replace)."""
    *parents, last = [
        part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]
    ]
    target = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    op = operation.get("op", "replace")
    if isinstance(target, list):
        index = len(target) if last == "-" else int(last)
        if op == "add":
            target.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            target[index] = copy.deepcopy(operation["value"])
        else:
            del target[index]
    elif op == "remove":
        del target[last]
    else:
        if op == "replace" and last not in target:
            raise KeyError(operation["path"])
        target[last] = copy.deepcopy(operation["value"])


def overlay(config: dict[str, Any], profile: dict[str, Any]) -> None:
    for section in ("build", "deploy", "portForward", "verify"):
        if section not in profile:
            continue
        if isinstance(profile[section], list) or section not in config:
            config[section] = copy.deepcopy(profile[section])
            continue
        for key, value in profile[section].items():
            config[section][key] = copy.deepcopy(value)


def profiles_of(config: str) -> list[str]:
    return [profile["name"] for profile in CONFIGS[config].get("profiles", [])]


# The profiles that add a value set, which compose; postgres with mysql contradicts.
VALUE_SET_PROFILES = ("postgres", "mysql", "minimal")
CONTRADICTIONS = [{"postgres", "mysql"}]
COMPOSED = [
    pair
    for pair in itertools.permutations(VALUE_SET_PROFILES, 2)
    if set(pair) not in CONTRADICTIONS
]
# Every config alone and under each of its profiles, the two a developer gets at once on
# kind (`kind` by kube-context, `dev` under `skaffold dev`, both activated before the
# named ones), and those with every composable pair of value-set profiles.
VARIANTS = (
    [
        (config, profiles)
        for config in CONFIGS
        for profiles in [(), *[(name,) for name in profiles_of(config)]]
    ]
    + [("app", ("kind", "dev"))]
    + [("app", ("kind", "dev", *pair)) for pair in COMPOSED]
)


# A skaffold config and the profiles activated on it.
Variant = tuple[str, tuple[str, ...]]


def variant_id(variant: Variant) -> str:
    return "+".join([variant[0], *variant[1]])


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SCHEMA.read_text())
    return result


def test_skaffold_yaml_is_the_two_configs_of_the_current_schema(schema: dict[str, Any]) -> None:
    assert list(CONFIGS) == ["app", "load"]
    for document in CONFIGS.values():
        assert document["apiVersion"] == "skaffold/v4beta14"
        jsonschema.validate(document, schema)


def test_the_schema_check_refuses_a_misspelled_field(schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(CONFIGS["app"])
    broken["build"]["artifacts"][0]["dockerfil"] = "containers/python.Dockerfile"

    with pytest.raises(jsonschema.ValidationError, match="dockerfil"):
        jsonschema.validate(broken, schema)


def test_the_schema_kept_here_is_the_official_one() -> None:
    if not OFFICIAL_SCHEMA.exists():
        pytest.skip(f"{OFFICIAL_SCHEMA} is not on this machine to compare with")
    assert SCHEMA.read_bytes() == OFFICIAL_SCHEMA.read_bytes()


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_variant_validates(schema: dict[str, Any], variant: Variant) -> None:
    jsonschema.validate(resolved(variant[0], *variant[1]), schema)


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_artifact_is_an_image_of_the_build_and_what_the_chart_receives(
    variant: Variant,
) -> None:
    config = resolved(variant[0], *variant[1])
    (release,) = config["deploy"]["helm"]["releases"]
    handed = release["setValueTemplates"]
    overrides = yaml.safe_load((chart_dir() / "values.yaml").read_text())["image"]["overrides"]
    for artifact in config["build"]["artifacts"]:
        image = BY_NAME[artifact["image"]]
        docker = artifact["docker"]
        assert artifact["context"] == "."  # the Dockerfiles COPY from the repository root
        # What `make images` builds (the dev profile: the same image's dev target).
        assert docker["dockerfile"] == image.dockerfile
        assert docker.get("buildArgs", {}) == image.args
        dev = "dev" in variant[1] and image.target == "service"
        assert docker.get("target") == ("dev" if dev else image.target)
        assert image.part in overrides
        template_var = "IMAGE_FULLY_QUALIFIED_" + re.sub(r"[^A-Za-z0-9]", "_", artifact["image"])
        assert handed[f"image.overrides.{image.part}"] == "{{." + template_var + "}}"
    assert len(handed) == len(config["build"]["artifacts"])


@pytest.mark.parametrize("config", list(CONFIGS))
def test_the_images_skaffold_hands_over_are_the_ones_every_container_of_their_part_runs(
    config: str,
) -> None:
    release = resolved(config)["deploy"]["helm"]["releases"][0]
    built = {
        key: f"registry.example/{key.rsplit('.', 1)[1]}:skaffold-tag"
        for key in release["setValueTemplates"]
    }
    rendered = render(release, built)
    used = {c["image"] for d in rendered for c in containers_of(d)}

    assert {image for image in used if image.startswith("pyservices/")} == set()
    assert set(built.values()) <= used


def test_file_sync_puts_each_changed_file_where_the_dev_image_serves_and_reloads_it() -> None:
    dev = resolved("app", "dev")
    synced_artifacts = [a for a in dev["build"]["artifacts"] if "sync" in a]
    assert {a["image"] for a in synced_artifacts} == {
        "pyservices/users",
        "pyservices/items",
        "pyservices/tasks",
    }
    for artifact in synced_artifacts:
        assert artifact["docker"]["target"] == "dev"
        stage = dev_stage(ROOT / artifact["docker"]["dockerfile"], artifact["docker"]["buildArgs"])
        served = {PurePosixPath(s): PurePosixPath(b) for b, s in stage["sources"]}
        for rule in artifact["sync"]["manual"]:
            matched = [p for p in ROOT.glob(rule["src"]) if p.is_file()]
            assert matched, f"{rule['src']} matches no file"
            for path in matched:
                relative = path.relative_to(ROOT).as_posix()
                if "strip" in rule:
                    relative = relative.removeprefix(rule["strip"])
                in_container = PurePosixPath(rule["dest"]) / relative
                home = [s for s in served if in_container.is_relative_to(s)]
                assert home, f"{in_container} is outside the dev image's sources {served}"
                # The synced copy replaces the one the image baked in at /app/<path>.
                baked = served[home[0]] / in_container.relative_to(home[0])
                assert baked == PurePosixPath("/app") / path.relative_to(ROOT).as_posix()
                assert any(in_container.is_relative_to(d) for d in stage["reload_dirs"])


def dev_stage(dockerfile: Path, args: dict[str, str]) -> dict[str, Any]:
    sources = dockerfiles.environment(dockerfile, "dev", args)["DEV_SOURCES"]
    cmd = dockerfiles.command(dockerfile, "dev", args)
    assert "--reload" in cmd, f"{dockerfile}: the dev command does not reload"
    reload_dirs = [PurePosixPath(cmd[i + 1]) for i, arg in enumerate(cmd) if arg == "--reload-dir"]
    return {
        "sources": [pair.split("=") for pair in sources.split()],
        "reload_dirs": reload_dirs,
        "cmd": cmd,
    }


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_file_an_artifacts_dockerfile_copies_exists_under_its_build_arguments(
    variant: Variant,
) -> None:
    # skaffold lists what an artifact watches from every COPY of its Dockerfile, in
    # every stage whatever the target, its buildArgs expanded, and refuses to build
    # when one matches no file ("file pattern ... must match at least one file"): a
    # stage of one part may copy nothing that another part of the same file lacks.
    for artifact in resolved(variant[0], *variant[1])["build"]["artifacts"]:
        docker = artifact["docker"]
        dockerfile = ROOT / docker["dockerfile"]
        for source in dockerfiles.copied_sources(dockerfile, docker.get("buildArgs")):
            assert list(ROOT.glob(source)), f"{artifact['image']}: {source} matches no file"


def test_the_chart_runs_the_dev_images_own_command() -> None:
    """The dev image's CMD (uvicorn --reload) runs only if the chart sets none."""
    rendered = template([chart_dir() / "ci" / "app-values.yaml"])
    for document in rendered:
        if document["kind"] != "Deployment":
            continue
        component = document["metadata"]["labels"]["app.kubernetes.io/component"]
        if component in ("users", "items", "tasks"):
            (container,) = document["spec"]["template"]["spec"]["containers"]
            assert "command" not in container, component
            assert "args" not in container, component
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts  # where the dev image serves its sources from


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_release_renders_valid_objects(variant: Variant) -> None:
    config = resolved(variant[0], *variant[1])
    for release in config["deploy"]["helm"]["releases"]:
        assert release["chartPath"] == "charts/pyservices"
        for path in release["valuesFiles"]:
            assert (ROOT / path).is_file(), path
        for document in render(release):
            for version in KUBERNETES_VERSIONS:
                kubernetes_validate.validate(document, version, strict=True)


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_forwarded_port_is_a_port_of_a_service_of_that_release(variant: Variant) -> None:
    config = resolved(variant[0], *variant[1])
    (release,) = config["deploy"]["helm"]["releases"]
    services = {
        d["metadata"]["name"]: {p["port"] for p in d["spec"]["ports"]}
        for d in render(release)
        if d["kind"] == "Service"
    }
    notes_ports = ports_in_notes()
    for forward in config["portForward"]:
        assert forward["resourceType"] == "service"
        assert forward["namespace"] == release["namespace"]
        assert forward["port"] in services.get(forward["resourceName"], set()), forward
        part = forward["resourceName"].removeprefix(release["name"] + "-")
        assert forward["localPort"] == notes_ports[part], part


def ports_in_notes() -> dict[str, int]:
    """part -> the local port the chart's NOTES.txt tells users to forward it to."""
    notes = (chart_dir() / "templates" / "NOTES.txt").read_text()
    return {
        part: int(port)
        for part, port in re.findall(r"port-forward svc/\{\{ \$name \}\}-(\w+) (\d+):", notes)
    }


def test_the_app_forwards_the_ui_ports_and_the_load_config_the_locust_ui() -> None:
    forwarded = {f["localPort"] for c in CONFIGS for f in resolved(c)["portForward"]}

    assert forwarded == {8080, 3000, 9090, 16686, 8089}


def test_the_apps_prometheus_scrapes_the_locust_of_the_load_release() -> None:
    app_values = yaml.safe_load((chart_dir() / "ci" / "app-values.yaml").read_text())
    (job,) = app_values["prometheus"]["extraScrapeJobs"]
    load_release = resolved("load")["deploy"]["helm"]["releases"][0]
    services = {d["metadata"]["name"]: d for d in render(load_release) if d["kind"] == "Service"}

    assert job["name"] == "locust"  # the job name the dashboards and alerts use
    assert job["port"] in {p["port"] for p in services[job["service"]]["spec"]["ports"]}
    assert services[job["service"]]["spec"].get("clusterIP") == "None"  # one A record per pod


def test_both_releases_share_one_namespace_that_enforces_the_restricted_profile() -> None:
    namespace = yaml.safe_load((ROOT / "k8s" / "namespace.yaml").read_text())
    releases = [r for c in CONFIGS for r in resolved(c)["deploy"]["helm"]["releases"]]

    assert {r["namespace"] for r in releases} == {namespace["metadata"]["name"]}
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(namespace, version, strict=True)


def test_the_verify_stage_runs_the_smoke_job_with_the_load_configs_image() -> None:
    load = resolved("load")
    (case,) = load["verify"]
    manifest = ROOT / case["executionMode"]["kubernetesCluster"]["jobManifestPath"]
    job = yaml.safe_load(manifest.read_text())
    (container,) = job["spec"]["template"]["spec"]["containers"]

    assert case["container"]["image"] in {a["image"] for a in load["build"]["artifacts"]}
    assert container["name"] == case["container"]["name"]  # skaffold patches it by name
    assert job["metadata"]["labels"]  # skaffold adds its run id to them
    assert case["container"]["command"] == container["command"]
    assert container["command"] == ["python", "-m", "loadtest.smoke"]
    assert case["container"]["args"] == container["args"]
    gateway = container["args"][container["args"].index("--host") + 1]
    assert gateway == "http://pyservices-gateway.pyservices.svc:8080"
    assert (ROOT / "loadtest" / "src" / "loadtest" / "smoke.py").is_file()


def test_the_smoke_job_is_valid_and_restricted() -> None:
    job = smoke_job("elsewhere", "registry.example/loadtest:1", "http://gw:8080", seconds=3)

    assert job["metadata"]["namespace"] == "elsewhere"
    assert job["metadata"]["name"].startswith("pyservices-smoke-")
    assert job["spec"]["backoffLimit"] == 0
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example/loadtest:1"
    assert container["args"] == ["--host", "http://gw:8080", "--seconds", "3"]
    assert restricted_problems(job) == []
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(job, version, strict=True)


def test_the_kind_cluster_is_the_one_the_kind_profile_activates_on() -> None:
    kind = yaml.safe_load((ROOT / "k8s" / "kind-config.yaml").read_text())

    assert kind["kind"] == "Cluster"
    assert kind["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    for config in CONFIGS:
        profile = next(p for p in CONFIGS[config]["profiles"] if p["name"] == "kind")
        assert profile["activation"] == [{"kubeContext": f"kind-{kind['name']}"}]
        assert profile["build"]["local"]["push"] is False
    assert [node["role"] for node in kind["nodes"]] == ["control-plane", "worker"]
    for node in kind["nodes"]:
        # Pinned by digest, as kind asks, at a version the chart is validated against.
        match = re.fullmatch(r"kindest/node:v(\d+\.\d+)\.\d+@sha256:[0-9a-f]{64}", node["image"])
        assert match, node["image"]
        assert match.group(1) in KUBERNETES_VERSIONS, node["image"]


@pytest.mark.parametrize(
    ("target", "tool"),
    [("kind-up", "kind"), ("kind-down", "kind"), ("dev", "skaffold"), ("deploy", "skaffold")],
)
def test_a_cluster_target_without_its_tool_says_where_to_get_it(target: str, tool: str) -> None:
    bare = "/usr/bin:/bin"
    if shutil.which(tool, path=bare):
        pytest.skip(f"{tool} is installed in {bare}")
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", target],
        cwd=ROOT,
        env={"PATH": bare},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode != 0
    assert f"{tool} not found: install it from https://" in done.stderr


def test_cluster_smoke_without_kubectl_says_where_to_get_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "clusterkit.cluster_smoke"],
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip() == (
        "kubectl not found: install it from https://kubernetes.io/docs/tasks/tools/"
    )


def render(release: dict[str, Any], values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    key: tuple[object, ...] = (release["name"], release["namespace"], *release["valuesFiles"])
    key += tuple(sorted((values or {}).items()))
    if key not in _renders:
        files = [ROOT / path for path in release["valuesFiles"]]
        _renders[key] = template(
            files, values, release=release["name"], namespace=release["namespace"]
        )
    return _renders[key]


_renders: dict[tuple[object, ...], list[dict[str, Any]]] = {}


def value_file(profile: str) -> str:
    return f"charts/pyservices/ci/{profile}-values.yaml"


@pytest.mark.parametrize("pair", COMPOSED, ids="+".join)
def test_value_set_profiles_compose_each_adding_its_file(pair: tuple[str, str]) -> None:
    (release,) = resolved("app", "kind", "dev", *pair)["deploy"]["helm"]["releases"]

    assert release["valuesFiles"] == [value_file("app"), *map(value_file, pair)]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in render(release)}
    if "minimal" in pair:
        assert ("Deployment", "pyservices-prometheus") not in kinds
    for server, other in (("mysql", "postgres"), ("postgres", "mysql")):
        if server in pair:  # every service on it, and the other server not installed
            assert ("StatefulSet", f"pyservices-{server}") in kinds
            assert ("StatefulSet", f"pyservices-{other}") not in kinds


@pytest.mark.parametrize("pair", [("postgres", "mysql"), ("mysql", "postgres")], ids="+".join)
def test_contradicting_value_set_profiles_are_refused_by_the_chart(pair: tuple[str, str]) -> None:
    (release,) = resolved("app", *pair)["deploy"]["helm"]["releases"]

    with pytest.raises(RenderError, match="neither installed"):
        render(release)


def test_every_patch_adds_to_the_one_release_of_its_config() -> None:
    for config, document in CONFIGS.items():
        releases = document["deploy"]["helm"]["releases"]
        for profile in document.get("profiles", []):
            for operation in profile.get("patches", []):
                assert len(releases) == 1, config  # the patch paths name it by position
                assert releases[0]["name"] in {"pyservices", "pyservices-load"}
                assert operation["op"] == "add"
                assert operation["path"] == "/deploy/helm/releases/0/valuesFiles/-"
                assert (ROOT / operation["value"]).is_file()
