"""What the Dockerfiles promise, read from the files: each an image (or, for the Python
parts, a target with its build arguments) of the build, pinned official Debian-based
images (never `latest`) that .ci/podman-setup provides stand-ins for, and a build
context that keeps local state out."""

import re
import string
import tomllib

import pytest
from uvicorn.main import main as uvicorn_command

from clusterkit import dockerfiles
from clusterkit.images import IMAGES, PYTHON_DOCKERFILE, Image
from devstack.layout import repo_root

ROOT = repo_root()
DOCKERFILES = sorted({image.dockerfile for image in IMAGES})
PYTHON_IMAGES = [image for image in IMAGES if image.dockerfile == PYTHON_DOCKERFILE]
HTTP_SERVICES = [image for image in PYTHON_IMAGES if image.target == "service"]


def stand_ins() -> set[str]:
    """The images .ci/podman-setup makes where no registry can be reached."""
    setup = (ROOT / ".ci" / "podman-setup").read_text()
    return set(re.findall(r"^[A-Z_]+_IMAGE=(\S+)$", setup, re.MULTILINE))


def test_every_dockerfile_in_the_repository_is_an_image_of_the_build() -> None:
    found = [*ROOT.glob("**/Dockerfile"), *ROOT.glob("**/*.Dockerfile")]
    on_disk = {str(path.relative_to(ROOT)) for path in found}
    on_disk = {path for path in on_disk if not path.startswith((".venv", ".data"))}

    assert on_disk == set(DOCKERFILES)


def test_the_python_parts_are_targets_of_one_dockerfile_named_by_their_build_arguments() -> None:
    assert {image.part for image in PYTHON_IMAGES} == {
        "users",
        "items",
        "tasks",
        "worker",
        "loadtest",
    }
    targets = {stage.name for stage in dockerfiles.stages(ROOT / PYTHON_DOCKERFILE)}
    for image in PYTHON_IMAGES:
        assert image.target in targets
        if image.part != "loadtest":
            assert image.args == {"SERVICE": image.part}


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_bases_are_pinned_debian_images_with_a_stand_in(dockerfile: str) -> None:
    bases = dockerfiles.base_images(ROOT / dockerfile)

    assert bases
    for base in bases:
        tag = base.partition(":")[2]
        assert tag, f"{base} has no tag"
        assert tag != "latest"
        assert "bookworm" in tag  # the Debian release the stand-ins are made from
        assert f"docker.io/library/{base}" in stand_ins()


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_images_run_as_a_fixed_non_root_user_with_an_exec_form_command(
    dockerfile: str,
) -> None:
    text = (ROOT / dockerfile).read_text()
    users = re.findall(r"^USER (\d+):(\d+)$", text, re.MULTILINE)

    assert users, "USER must be a numeric uid:gid (Kubernetes checks runAsNonRoot by number)"
    assert all(int(uid) != 0 and int(gid) != 0 for uid, gid in users)
    for line in re.findall(r"^(?:CMD|ENTRYPOINT) (.*)$", text, re.MULTILINE):
        assert line.startswith("["), "exec form, so the process is PID 1 and gets SIGTERM"


@pytest.mark.parametrize("part", ["users", "items", "tasks", "worker", "loadtest"])
def test_python_images_log_json_lines_even_on_a_terminal(part: str) -> None:
    # LOG_FORMAT=auto would write console lines under `podman run -t` or `kubectl run
    # -it`; a container's log goes to machines, whoever is watching.
    image = next(image for image in IMAGES if image.part == part)
    environment = dockerfiles.environment(ROOT / image.dockerfile, image.target, image.args)

    assert environment["LOG_FORMAT"] == "json"


def test_the_build_context_leaves_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())

    for path in ("**/.venv", ".data", ".git", "reports", "**/__pycache__", "**/tests"):
        assert path in ignored


def name_of(dependency: str) -> str:
    """The distribution a requirement names: what comes before its version or extras."""
    name = re.match(r"[\w.-]+", dependency)
    assert name is not None, dependency
    return name[0]


def _workspace_members() -> dict[str, tuple[str, list[str]]]:
    """Distribution name -> (its folder, the names it depends on), for every member."""
    members = {}
    for pattern in ("libs/*", "services/*", "loadtest", "clients/python"):
        for pyproject in ROOT.glob(f"{pattern}/pyproject.toml"):
            project = tomllib.loads(pyproject.read_text())["project"]
            needs = [name_of(dependency) for dependency in project["dependencies"]]
            members[project["name"]] = (str(pyproject.parent.relative_to(ROOT)), needs)
    return members


def _members_needed(package: str, members: dict[str, tuple[str, list[str]]]) -> set[str]:
    needed, todo = set(), [package]
    while todo:
        name = todo.pop()
        if name in members and name not in needed:
            needed.add(name)
            todo += members[name][1]
    return needed


def _builder(image: Image) -> dockerfiles.Stage:
    """The stage whose /app the image's target copies: where its packages are installed."""
    dockerfile = ROOT / image.dockerfile
    chain = dockerfiles.target_chain(dockerfile, image.target, image.args)
    copies = [value for stage in chain for value in stage.values("COPY")]
    (source,) = [
        word.removeprefix("--from=") for c in copies for word in c.split() if "--from=" in word
    ]
    return dockerfiles.target_chain(dockerfile, source, image.args)[-1]


@pytest.mark.parametrize("image", PYTHON_IMAGES, ids=lambda image: image.part)
def test_images_copy_every_workspace_member_their_package_needs_and_no_other(
    image: Image,
) -> None:
    # The images copy workspace members one by one (so a change elsewhere keeps their
    # layers): a member newly added to a package's dependencies is easily forgotten, and
    # one no longer needed (the test harness, the cluster tooling) easily left in.
    builder = _builder(image)
    installs = [re.search(r"uv sync --package (\S+)", run) for run in builder.values("RUN")]
    (package,) = [string.Template(found[1]).substitute(image.args) for found in installs if found]
    members = _workspace_members()
    copied = set(builder.copied())
    needed = _members_needed(package, members)

    for name in needed:
        folder = members[name][0]
        whole = folder in copied
        assert whole or f"{folder}/pyproject.toml" in copied, f"{image.part} lacks {folder}"
        assert whole or f"{folder}/src" in copied, f"{image.part} lacks {folder}/src"
    unneeded = {folder for name, (folder, _) in members.items() if name not in needed}
    for path in copied:
        extra = [folder for folder in unneeded if path == folder or path.startswith(f"{folder}/")]
        assert not extra, f"{image.part} copies {path}: {package} does not need it"


@pytest.mark.parametrize("target", ["service", "dev"])
@pytest.mark.parametrize("image", HTTP_SERVICES, ids=lambda image: image.part)
def test_each_http_service_image_serves_its_own_app(
    image: Image, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One command for the three services: uvicorn takes the app from UVICORN_APP, which
    # the image sets from SERVICE, unless the command names one.
    dockerfile = ROOT / image.dockerfile
    command = dockerfiles.command(dockerfile, target, image.args)
    env = dockerfiles.environment(dockerfile, target, image.args)
    monkeypatch.setenv("UVICORN_APP", env["UVICORN_APP"])

    arguments = command[command.index("uvicorn") + 1 :]
    parsed = uvicorn_command.make_context("uvicorn", arguments, resilient_parsing=True).params

    assert parsed["app"] == f"{image.part}_service.main:app"
    main = ROOT / "services" / image.part / "src" / f"{image.part}_service" / "main.py"
    assert re.search(r"^app = ", main.read_text(), re.MULTILINE)
