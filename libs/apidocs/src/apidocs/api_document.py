"""The gateway's API document, gateway/openapi.json: the services' documents merged
(apidocs.openapi_merge), kept in the repository beside the gateway's config.

    python -m apidocs.api_document [--check]          (what `make openapi` runs)

Each service's document comes from its app, built here with its default settings (no
database or server is reached), so the file is the same on every machine; a test holds
it equal to what the running services answer. Kept, not made at start: the gateway's
image needs no Python to serve it, a change of the public API shows in review as a
diff of this file, and the Python client (clients/python) is generated from it.
"""

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from apidocs.openapi_merge import dumps, merge
from devstack.layout import repo_root


def document_path() -> Path:
    return repo_root() / "gateway" / "openapi.json"


@contextlib.contextmanager
def _environment_without(names: set[str]) -> Iterator[None]:
    """os.environ without these variables (any case) for a while: settings read them."""
    removed = {name: os.environ.pop(name) for name in list(os.environ) if name.lower() in names}
    try:
        yield
    finally:
        os.environ.update(removed)


def service_documents() -> dict[str, dict[str, Any]]:
    """service -> the OpenAPI document its app serves, with default settings."""
    # Imported here: what needs only `document_path` (python_client) loads no service.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )
    from pydantic import SecretStr

    from items_service.app import create_items_app
    from items_service.settings import ItemsSettings
    from tasks_service.app import create_tasks_app
    from tasks_service.settings import TasksSettings
    from users_service.app import create_users_app
    from users_service.settings import UsersSettings

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    nowhere = "postgresql://nobody@127.0.0.1:9/none"
    classes = (UsersSettings, ItemsSettings, TasksSettings)
    with _environment_without({name for cls in classes for name in cls.model_fields}):
        # Metrics and tracing change nothing in the document; off, building starts nothing.
        users = UsersSettings(
            database_url=nowhere,
            jwt_private_key=SecretStr(private),
            metrics_enabled=False,
            tracing_enabled=False,
        )
        items = ItemsSettings(
            database_url=nowhere,
            jwt_public_key=users.jwt_public_key,
            metrics_enabled=False,
            tracing_enabled=False,
        )
        tasks = TasksSettings(
            database_url=nowhere,
            jwt_public_key=users.jwt_public_key,
            metrics_enabled=False,
            tracing_enabled=False,
        )
        apps = {
            "users": create_users_app(users),
            "items": create_items_app(items),
            "tasks": create_tasks_app(tasks),
        }
    return {name: app.openapi() for name, app in apps.items()}


def render() -> str:
    """gateway/openapi.json as the services' code makes it now."""
    return dumps(merge(service_documents()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apidocs.api_document", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if gateway/openapi.json is not up to date"
    )
    args = parser.parse_args(argv)
    path = document_path()
    text = render()
    if args.check:
        if path.read_text() != text:
            print(f"{path} is out of date: make openapi", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path.relative_to(repo_root())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
