"""What the Dockerfiles promise, read from the files: one per part, pinned official
Debian-based images (never `latest`) that .ci/podman-setup provides stand-ins for, and
a build context that keeps local state out."""

import re
import tomllib

import pytest

from devstack.images import IMAGES, base_images
from devstack.layout import repo_root

ROOT = repo_root()


def stand_ins() -> set[str]:
    """The images .ci/podman-setup makes where no registry can be reached."""
    setup = (ROOT / ".ci" / "podman-setup").read_text()
    return set(re.findall(r"^[A-Z_]+_IMAGE=(\S+)$", setup, re.MULTILINE))


def test_every_dockerfile_in_the_repository_is_an_image_of_the_build():
    on_disk = {str(path.relative_to(ROOT)) for path in ROOT.glob("**/Dockerfile")}
    on_disk = {path for path in on_disk if not path.startswith((".venv", ".data"))}

    assert on_disk == {image.dockerfile for image in IMAGES}


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.part)
def test_bases_are_pinned_debian_images_with_a_stand_in(image):
    bases = base_images(ROOT / image.dockerfile)

    assert bases
    for base in bases:
        tag = base.partition(":")[2]
        assert tag, f"{base} has no tag"
        assert tag != "latest"
        assert "bookworm" in tag  # the Debian release the stand-ins are made from
        assert f"docker.io/library/{base}" in stand_ins()


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.part)
def test_images_run_as_a_fixed_non_root_user_with_an_exec_form_command(image):
    text = (ROOT / image.dockerfile).read_text()
    users = re.findall(r"^USER (\d+):(\d+)$", text, re.MULTILINE)

    assert users, "USER must be a numeric uid:gid (Kubernetes checks runAsNonRoot by number)"
    assert all(int(uid) != 0 and int(gid) != 0 for uid, gid in users)
    for line in re.findall(r"^(?:CMD|ENTRYPOINT) (.*)$", text, re.MULTILINE):
        assert line.startswith("["), "exec form, so the process is PID 1 and gets SIGTERM"


@pytest.mark.parametrize("part", ["users", "items", "tasks", "worker"])
def test_python_images_log_json_lines_even_on_a_terminal(part):
    # LOG_FORMAT=auto would write console lines under `podman run -t` or `kubectl run
    # -it`; a container's log goes to machines, whoever is watching.
    text = (ROOT / "services" / part / "Dockerfile").read_text()
    runtime = text.split("AS dev")[0].replace("\\\n", " ")  # the dev target inherits
    environment = " ".join(re.findall(r"^ENV (.*)$", runtime, re.MULTILINE))

    assert re.search(r"\bLOG_FORMAT=json\b", environment)


def test_the_build_context_leaves_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    for path in ("**/.venv", ".data", ".git", "reports", "**/__pycache__", "**/tests"):
        assert path in ignored


def _workspace_members() -> dict[str, tuple[str, list[str]]]:
    """Distribution name -> (its folder, the names it depends on), for every member."""
    members = {}
    for pattern in ("libs/*", "services/*", "loadtest", "clients/python"):
        for pyproject in ROOT.glob(f"{pattern}/pyproject.toml"):
            project = tomllib.loads(pyproject.read_text())["project"]
            needs = [re.match(r"[\w.-]+", dependency)[0] for dependency in project["dependencies"]]
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


@pytest.mark.parametrize(
    "image", [image for image in IMAGES if image.part != "gateway"], ids=lambda image: image.part
)
def test_images_copy_every_workspace_member_their_package_needs(image):
    # The images copy workspace members one by one (so a change elsewhere keeps their
    # layers): a member newly added to a package's dependencies is easily forgotten.
    text = (ROOT / image.dockerfile).read_text()
    package = re.search(r"uv sync --package (\S+)", text)[1]
    members = _workspace_members()
    copied = set(re.findall(r"^COPY (\S+) ", text, re.MULTILINE))

    for name in _members_needed(package, members):
        folder = members[name][0]
        assert f"{folder}/pyproject.toml" in copied, f"{image.dockerfile} lacks {folder}"
        assert f"{folder}/src" in copied, f"{image.dockerfile} lacks {folder}/src"
