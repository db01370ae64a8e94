"""The items application, built from settings (tests build it with their own)."""

from pathlib import Path

from fastapi import FastAPI

from items_service import endpoints, sync_endpoints
from items_service.clients import UsersClient
from items_service.settings import ItemsSettings
from items_service.views import ViewCounter
from servicecontracts.view_counts import ViewKeys
from servicekit.app import create_app
from servicekit.http import ServiceClient

# services/items/alembic.ini: the migrations /readyz waits for.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def create_items_app(settings: ItemsSettings) -> FastAPI:
    def resources(settings: ItemsSettings, _metrics: object) -> dict[str, object]:
        users = ServiceClient("users", settings.users_url, timeout=settings.users_timeout_seconds)
        return {
            "users": UsersClient(users),
            "views": ViewCounter(ViewKeys(settings.views_key_prefix)),
        }

    return create_app(
        settings,
        [endpoints.router, sync_endpoints.router],
        title="items",
        resources=resources,
        migrations=ALEMBIC_INI,
    )
