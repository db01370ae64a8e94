"""The test key pair and tokens signed as the users service signs them."""

import time
from typing import Any, Protocol

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)


def new_private_key() -> str:
    """A fresh Ed25519 private key, PEM: of the test pair, or of nobody the services trust."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def public_key_of(private_key: str) -> str:
    key = load_pem_private_key(private_key.encode(), password=None)
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="session")
def jwt_private_key() -> str:
    """The test key pair: users signs with it, every service verifies with its public half."""
    return new_private_key()


@pytest.fixture(scope="session")
def jwt_public_key(jwt_private_key: str) -> str:
    return public_key_of(jwt_private_key)


class MintToken(Protocol):
    """`mint_token(sub, ...)`: a token for `sub`, signed as users signs them unless told."""

    def __call__(
        self,
        sub: str,
        *,
        expires_in: int = 300,
        private_key: str | None = None,
        algorithm: str = "EdDSA",
        claims: dict[str, Any] | None = None,
    ) -> str: ...


@pytest.fixture(scope="session")
def mint_token(jwt_private_key: str) -> MintToken:
    """Signs tokens as users does, or with another key, algorithm or claims."""

    def mint(
        sub: str,
        *,
        expires_in: int = 300,
        private_key: str | None = None,
        algorithm: str = "EdDSA",
        claims: dict[str, Any] | None = None,
    ) -> str:
        now = time.time()  # fractional, as users issues them (a revocation compares it)
        payload: dict[str, Any] = {"sub": sub, "iss": "users", "aud": "services", "iat": now}
        payload |= {"exp": int(now) + expires_in, **(claims or {})}
        return jwt.encode(payload, private_key or jwt_private_key, algorithm=algorithm)

    return mint
