"""The container images: one per deployable part, built from the repository root.

    python -m clusterkit.images [--tag dev] [part ...]     (what `make images` runs)

builds `pyservices/<part>:<tag>` with podman, or docker when that is what the machine
has, and prints each image's size.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clusterkit.dockerfiles import base_image
from devstack.layout import repo_root

REPOSITORY = "pyservices"
DEFAULT_TAG = "dev"
# Every Python image: one builder, a target for each kind of part (skaffold.yaml's
# artifacts name the same targets and arguments; k8s/tests checks that they do).
PYTHON_DOCKERFILE = "containers/python.Dockerfile"


@dataclass(frozen=True)
class Image:
    part: str
    dockerfile: str  # relative to the repository root, which is the build context
    target: str | None = None  # the stage built; None: the Dockerfile's last
    args: Mapping[str, str] = field(default_factory=dict, hash=False)  # --build-arg

    def name(self, tag: str = DEFAULT_TAG) -> str:
        return f"{REPOSITORY}/{self.part}:{tag}"


def _http_service(name: str) -> Image:
    return Image(name, PYTHON_DOCKERFILE, "service", {"SERVICE": name})


IMAGES: tuple[Image, ...] = (
    _http_service("users"),
    _http_service("items"),
    _http_service("tasks"),
    Image("worker", PYTHON_DOCKERFILE, "worker", {"SERVICE": "worker"}),
    Image("gateway", "gateway/Dockerfile"),
    Image("loadtest", PYTHON_DOCKERFILE, "loadtest"),
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
    """Builds one image (or another `target` stage of its Dockerfile, such as `dev`)
    from the repository root; returns its name. The build's output goes to `log` if
    given (CalledProcessError on failure), else to the terminal."""
    name = image.name(tag)
    tool = tool or container_tool()
    command = [tool, "build", "-f", image.dockerfile, "-t", name]
    if Path(tool).name == "podman":
        # The build's RUN steps download from PyPI: on the host's network, which reaches
        # the registries where podman's own bridge may not (seen on the CI machines).
        command += ["--network", "host"]
    for key, value in image.args.items():
        command += ["--build-arg", f"{key}={value}"]
    target = target or image.target
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


def base_size_bytes(image: Image, tool: str | None = None) -> int:
    """Size of the image the built target starts from."""
    return size_bytes(base_image(repo_root() / image.dockerfile, image.target), tool)


def build_all(parts: Iterable[str], tag: str) -> list[tuple[str, int, int]]:
    tool = container_tool()
    wanted = set(parts)
    built = []
    for image in IMAGES:
        if wanted and image.part not in wanted:
            continue
        name = build(image, tag, tool)
        own = size_bytes(name, tool) - base_size_bytes(image, tool)
        built.append((name, size_bytes(name, tool), own))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clusterkit.images", description=__doc__)
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
