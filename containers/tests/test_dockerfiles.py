"""What the Dockerfiles promise, read from the files: one per part, pinned official
Debian-based images (never `latest`) that .ci/podman-setup provides stand-ins for, and
a build context that keeps local state out."""

import re

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


def test_the_build_context_leaves_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    for path in ("**/.venv", ".data", ".git", "reports", "**/__pycache__", "**/tests"):
        assert path in ignored
