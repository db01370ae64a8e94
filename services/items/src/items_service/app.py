"""The items application, built from settings (tests build it with their own)."""

from pathlib import Path

from fastapi import FastAPI

from items_service import endpoints
from items_service.resources import open_resources
from items_service.settings import ItemsSettings
from servicekit.app import create_app

# services/items/alembic.ini: the migrations /readyz waits for.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def create_items_app(settings: ItemsSettings) -> FastAPI:
    return create_app(
        settings,
        endpoints.api.routers,
        title="items",
        resources=open_resources,
        migrations=ALEMBIC_INI,
    )
