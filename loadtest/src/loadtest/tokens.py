"""Access tokens for benchmark requests, signed as the users service signs a login's."""

import time

from servicekit.settings import ServiceSettings
from users_service.security import TokenIssuer


def dev_token(private_key: str, user_id: int, ttl_seconds: int = 3600) -> str:
    """A token for `user_id` that every service trusts under the dev key pair (the
    issuer and audience the services expect by default)."""
    fields = ServiceSettings.model_fields
    issuer = TokenIssuer(
        private_key,
        issuer=fields["jwt_issuer"].default,
        audience=fields["jwt_audience"].default,
        ttl_seconds=ttl_seconds,
    )
    return issuer.issue(user_id, time.time()).access_token
