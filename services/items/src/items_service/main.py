"""The ASGI entry point: `uvicorn items_service.main:app`."""

from items_service.app import create_items_app
from items_service.settings import ItemsSettings
from servicekit.core.settings import load_settings

app = create_items_app(load_settings(ItemsSettings))
