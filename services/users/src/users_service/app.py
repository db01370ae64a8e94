"""The users application, built from settings (tests build it with their own)."""

from pathlib import Path

from fastapi import FastAPI

from servicekit.app import create_app
from users_service import endpoints
from users_service.resources import open_resources
from users_service.settings import UsersSettings

# services/users/alembic.ini: the migrations /readyz waits for.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def create_users_app(settings: UsersSettings) -> FastAPI:
    return create_app(
        settings,
        endpoints.api.routers,
        title="users",
        resources=open_resources,
        migrations=ALEMBIC_INI,
    )
