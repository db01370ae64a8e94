"""The container images: one per deployable part, built from the repository root.

    python -m devstack.images [--tag dev] [part ...]     (what `make images` runs)

builds `pyservices/<part>:<tag>` with podman, or docker when that is what the machine
has, and prints each image's size.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from devstack.layout import repo_root

REPOSITORY = "pyservices"
DEFAULT_TAG = "dev"


@dataclass(frozen=True)
class Image:
    part: str
    dockerfile: str  # relative to the repository root, which is the build context

    def name(self, tag: str = DEFAULT_TAG) -> str:
        return f"{REPOSITORY}/{self.part}:{tag}"


IMAGES: tuple[Image, ...] = (
    Image("users", "services/users/Dockerfile"),
    Image("items", "services/items/Dockerfile"),
    Image("tasks", "services/tasks/Dockerfile"),
    Image("worker", "services/worker/Dockerfile"),
    Image("gateway", "gateway/Dockerfile"),
    Image("loadtest", "loadtest/Dockerfile"),
)


class NoContainerTool(RuntimeError):
    pass


def container_tool() -> str:
    """podman, else docker (an engine must answer: a docker client alone is no use)."""
    chosen = os.environ.get("CONTAINER_TOOL")
    candidates = [chosen] if chosen else ["podman", "docker"]
    for name in candidates:
        path = shutil.which(name)
        if path and _answers(path):
            return path
    raise NoContainerTool(
        "neither podman nor a docker engine is available: install podman "
        "(apt-get install podman; on this kind of machine run .ci/podman-setup once)"
    )


def _answers(tool: str) -> bool:
    probe = subprocess.run([tool, "info"], capture_output=True, check=False)  # noqa: S603
    return probe.returncode == 0


def build(
    image: Image,
    tag: str = DEFAULT_TAG,
    tool: str | None = None,
    log: Path | None = None,
    target: str | None = None,
) -> str:
    """Builds one image (or one `target` stage of its Dockerfile) from the repository
    root; returns its name. The build's output goes to `log` if given
    (CalledProcessError on failure), else to the terminal."""
    name = image.name(tag)
    tool = tool or container_tool()
    command = [tool, "build", "-f", image.dockerfile, "-t", name]
    if Path(tool).name == "podman":
        # The build's RUN steps download from PyPI: on the host's network, which reaches
        # the registries where podman's own bridge may not (seen on the CI machines).
        command += ["--network", "host"]
    command += ["--target", target, "."] if target else ["."]
    if log is None:
        subprocess.run(command, cwd=repo_root(), check=True)  # noqa: S603
        return name
    with log.open("w") as output:
        subprocess.run(command, cwd=repo_root(), stdout=output, stderr=output, check=True)  # noqa: S603
    return name


def size_bytes(name: str, tool: str | None = None) -> int:
    inspect = [tool or container_tool(), "image", "inspect", "--format", "{{json .Size}}", name]
    out = subprocess.run(inspect, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return int(json.loads(out))


def base_size_bytes(dockerfile: Path, tool: str | None = None) -> int:
    """Size of the image the Dockerfile's last stage starts from."""
    return size_bytes(base_images(dockerfile)[-1], tool)


def base_images(dockerfile: Path) -> list[str]:
    """The images the Dockerfile's stages start FROM, in order; a stage that starts from
    an earlier stage (`FROM runtime AS dev`) names no image and is left out."""
    images, stages = [], set()
    for line in dockerfile.read_text().splitlines():
        if not line.startswith("FROM "):
            continue
        words = line.split()
        if words[1] not in stages:
            images.append(words[1])
        if len(words) == 4 and words[2].upper() == "AS":
            stages.add(words[3])
    return images


def build_all(parts: Iterable[str], tag: str) -> list[tuple[str, int, int]]:
    tool = container_tool()
    wanted = set(parts)
    built = []
    for image in IMAGES:
        if wanted and image.part not in wanted:
            continue
        name = build(image, tag, tool)
        own = size_bytes(name, tool) - base_size_bytes(repo_root() / image.dockerfile, tool)
        built.append((name, size_bytes(name, tool), own))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.images", description=__doc__)
    parser.add_argument("--tag", default=os.environ.get("IMAGE_TAG") or DEFAULT_TAG)
    parser.add_argument("parts", nargs="*", help="some of: " + ", ".join(i.part for i in IMAGES))
    args = parser.parse_args(argv)
    unknown = set(args.parts) - {image.part for image in IMAGES}
    if unknown:
        parser.error(f"no such part: {', '.join(sorted(unknown))}")
    try:
        built = build_all(args.parts, args.tag)
    except NoContainerTool as error:
        print(error, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"build failed: {' '.join(error.cmd)}", file=sys.stderr)
        return 1
    print(f"\n{'image':32} {'size':>8} {'over its base':>14}")
    for name, size, own in built:
        print(f"{name:32} {size / 1e6:>6.0f} MB {own / 1e6:>11.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
