"""Settings of the users service."""

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from pydantic import PositiveFloat, PositiveInt, SecretStr, field_validator, model_validator

from servicekit.core.settings import ServiceSettings
from servicekit.security.rate_limits import parse_limit


class UsersSettings(ServiceSettings):
    service_name: str = "users"
    # Only users holds the private key; every other service gets the public one.
    jwt_private_key: SecretStr
    # access_token_ttl_seconds (ServiceSettings): the lifetime of the tokens it issues.

    # Rate limits, shared by every replica through Redis (docs/security.md, "What is
    # limited, revoked and refused", says why these numbers): login attempts per client
    # address count before the password is checked, failures per account after it;
    # registrations count per client address.
    login_attempts_per_address: str = "60/minute"
    login_failures_per_account: str = "10/15 minutes"
    registrations_per_address: str = "20/hour"
    # Argon2 hashes running at once in this process, and how long a request waits for
    # its turn before a 503: more hashes at once would only share the same cores and
    # slow every other request of the process (users_service.hashing).
    hashing_concurrency: PositiveInt = 1
    hashing_wait_seconds: PositiveFloat = 5.0

    @field_validator(
        "login_attempts_per_address", "login_failures_per_account", "registrations_per_address"
    )
    @classmethod
    def _is_a_rate_limit(cls, text: str) -> str:
        parse_limit(text)
        return text

    @model_validator(mode="before")
    @classmethod
    def derive_public_key(cls, values: dict[str, Any]) -> dict[str, Any]:
        """users verifies its own tokens: the public key follows from the private one."""
        private = values.get("jwt_private_key")
        if private and not values.get("jwt_public_key"):
            pem = private.get_secret_value() if isinstance(private, SecretStr) else private
            try:
                key = load_pem_private_key(pem.encode(), password=None)
            except ValueError:
                raise ValueError("JWT_PRIVATE_KEY is not an unencrypted PEM private key") from None
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("JWT_PRIVATE_KEY is not an Ed25519 key (tokens are EdDSA)")
            values["jwt_public_key"] = (
                key.public_key()
                .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
        return values
