"""Access tokens for benchmark requests, with the claims the users service puts in a
login's token (users_service.security.TokenIssuer). Signed here rather than by importing
the users service: loadtest depends on servicekit and devstack only (its image holds no
service)."""

import time

import jwt

from servicekit.core.settings import ServiceSettings
from servicekit.security.tokens import ALGORITHM


def dev_token(private_key: str, user_id: int, ttl_seconds: int = 3600) -> str:
    """A token for `user_id` that every service trusts under the dev key pair, with the
    issuer and audience the services expect by default."""
    fields = ServiceSettings.model_fields
    issued_at = time.time()  # fractional, as users writes it (a revocation compares it)
    claims = {
        "sub": str(user_id),
        "iss": fields["jwt_issuer"].default,
        "aud": fields["jwt_audience"].default,
        "iat": issued_at,
        "exp": int(issued_at) + ttl_seconds,
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)
