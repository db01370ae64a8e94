"""The gateway's config as each launcher renders it, to compare them: `make run`'s
(devstack.gateway) and the image's (gateway/entrypoint.sh, run here with the machine's
sh and envsubst, exactly as the chart's ConfigMap would feed it)."""

import subprocess
from collections.abc import Mapping
from pathlib import Path

from devstack.binaries import find_binary
from devstack.gateway import (
    API_DOCS_VARIABLE,
    TRUSTED_PROXIES_VARIABLE,
    Gateway,
    parse_trusted_proxies,
)
from devstack.gateway_edge import EdgeSettings
from devstack.layout import gateway_template, repo_root

ENTRYPOINT = repo_root() / "gateway" / "entrypoint.sh"
# Where a render's own folder appears in its files, so two folders compare equal.
RUNTIME_DIR_MARK = "${NGINX_RUNTIME_DIR}"


class EntrypointRefused(RuntimeError):
    """The entrypoint stopped before nginx; the message is what it printed."""


def rendered_files(runtime_dir: Path) -> dict[str, str]:
    """nginx.conf and every file it includes, by name, the folder's path marked."""
    return {
        path.name: path.read_text().replace(str(runtime_dir), RUNTIME_DIR_MARK)
        for path in sorted(runtime_dir.glob("*.conf"))
    }


def by_devstack(settings: Mapping[str, str], runtime_dir: Path) -> dict[str, str]:
    """What `make run` writes for these variables (GATEWAY_LISTEN, <SERVICE>_UPSTREAM,
    GATEWAY_TRUSTED_PROXIES and the edge settings, as the image takes them)."""
    upstreams = {
        name.removesuffix("_UPSTREAM").lower(): value
        for name, value in settings.items()
        if name.endswith("_UPSTREAM")
    }
    Gateway(
        runtime_dir,
        settings["GATEWAY_LISTEN"],
        upstreams,
        trusted_proxies=parse_trusted_proxies(settings.get(TRUSTED_PROXIES_VARIABLE, "")),
        edge=EdgeSettings.from_environ(settings),
    ).write()
    return rendered_files(runtime_dir)


def entrypoint_environment(settings: Mapping[str, str], runtime_dir: Path) -> dict[str, str]:
    nginx_dir = str(Path(find_binary("nginx")).parent)
    return {
        "PATH": f"{nginx_dir}:/usr/bin:/bin",
        "GATEWAY_TEMPLATE": str(gateway_template()),
        # The image's ENV names its own folder; here the one `make run`'s gateway of this
        # runtime dir serves from, so the two renders compare.
        API_DOCS_VARIABLE: str(runtime_dir / "api-docs"),
        **settings,
        "NGINX_RUNTIME_DIR": str(runtime_dir),
    }


def by_entrypoint(settings: Mapping[str, str], runtime_dir: Path) -> dict[str, str]:
    """What the image writes for these variables; raises EntrypointRefused."""
    done = subprocess.run(  # noqa: S603 - our own script
        ["sh", str(ENTRYPOINT), "true"],  # noqa: S607 - sh from PATH, as the image has it
        env=entrypoint_environment(settings, runtime_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise EntrypointRefused(done.stderr)
    return rendered_files(runtime_dir)
