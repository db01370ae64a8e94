"""The long-lived objects items holds besides servicekit's: made once at start-up."""

from dataclasses import dataclass

from items_service.clients import UsersClient
from items_service.settings import ItemsSettings
from items_service.views import ViewCounter
from servicecontracts.view_counts import ViewKeys
from servicekit.clients.http import ServiceClient


@dataclass(slots=True)
class ItemsResources:
    users: UsersClient
    views: ViewCounter


def open_resources(settings: ItemsSettings, _metrics: object) -> ItemsResources:
    users = ServiceClient("users", settings.users_url, timeout=settings.users_timeout_seconds)
    return ItemsResources(UsersClient(users), ViewCounter(ViewKeys(settings.views_key_prefix)))
