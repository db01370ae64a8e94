"""Domain errors of the items service."""

from servicekit.core.errors import Forbidden, NotFound


class ItemNotFound(NotFound):
    title = "Item not found"
    type = "urn:problem-type:items:item-not-found"


class NotYourItem(Forbidden):
    title = "Not your item"
    type = "urn:problem-type:items:not-your-item"
