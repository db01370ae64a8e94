"""The ASGI entry point: `uvicorn users_service.main:app`."""

from servicekit.core.settings import load_settings
from users_service.app import create_users_app
from users_service.settings import UsersSettings

app = create_users_app(load_settings(UsersSettings))
