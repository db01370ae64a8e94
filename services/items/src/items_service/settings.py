"""Settings of the items service."""

from pydantic import PositiveFloat

from servicecontracts import view_counts
from servicekit.core.settings import ServiceSettings


class ItemsSettings(ServiceSettings):
    service_name: str = "items"

    # Owner profiles for `?expand=owner`; a call that takes longer is a 503.
    users_url: str = "http://127.0.0.1:8001"
    users_timeout_seconds: PositiveFloat = 2.0

    # The Redis keys of unflushed views (servicecontracts.view_counts); the flush job reads
    # the same setting. Tests give each app a prefix of its own.
    views_key_prefix: str = view_counts.DEFAULT_PREFIX
