"""The gateway's files for API consumers: the API document and Swagger UI.

    python -m devstack.api_site TARGET

writes TARGET/openapi.json (gateway/openapi.json, served at /openapi.json) and
TARGET/docs/ (gateway/docs/index.html and Swagger UI's assets, served at /docs). The
assets are the static files of the `fastapi-offline` package, the version uv.lock pins:
Swagger UI 5, which reads OpenAPI 3.1 (swagger-ui-bundle's 4.15 does not, and FastAPI
ships no assets, only CDN links). No CDN: these machines and many clusters reach none.

`make run` writes these for its nginx (devstack.gateway); the gateway image's build
runs this module with nothing but the standard library and that package.
"""

import argparse
import importlib.util
import shutil
import sys
from pathlib import Path

from devstack.layout import repo_root

ASSET_PACKAGE = "fastapi_offline"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
DOCUMENT = "openapi.json"
UI = "docs"


def assets_dir() -> Path:
    """Swagger UI's files in the installed package (found without importing it: its
    code imports FastAPI, which the image's build does not have)."""
    spec = importlib.util.find_spec(ASSET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{ASSET_PACKAGE} is not installed: uv sync (make install)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def write_site(target: Path, source: Path | None = None) -> Path:
    """The document and the UI under `target` (their earlier copies replaced); `source` is
    the repository's gateway folder. Readable by anyone: nginx's workers serve them."""
    source = source or repo_root() / "gateway"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / DOCUMENT, target / DOCUMENT)
    ui = target / UI
    shutil.rmtree(ui, ignore_errors=True)
    ui.mkdir()
    shutil.copyfile(source / UI / "index.html", ui / "index.html")
    for name in ASSETS:
        shutil.copyfile(assets_dir() / name, ui / name)
    for path in (target, ui, *ui.iterdir(), target / DOCUMENT):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.api_site", description=__doc__)
    parser.add_argument("target", type=Path, help="the folder the gateway serves them from")
    args = parser.parse_args(argv)
    write_site(args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
