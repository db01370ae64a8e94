"""Settings of the users service."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from pydantic import PositiveInt, SecretStr, model_validator

from servicekit.settings import ServiceSettings


class UsersSettings(ServiceSettings):
    service_name: str = "users"
    # Only users holds the private key; every other service gets the public one.
    jwt_private_key: SecretStr
    access_token_ttl_seconds: PositiveInt = 3600

    @model_validator(mode="before")
    @classmethod
    def derive_public_key(cls, values: dict) -> dict:
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
