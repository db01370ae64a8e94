"""The public key that verifies access tokens, read from its PEM setting (JWT_PUBLIC_KEY).

Apart from servicekit.security.tokens, which verifies with it, so that the settings
check the key when they are read (servicekit.core.settings) without importing what
verifies tokens.
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from cryptography.x509 import load_pem_x509_certificate


def load_public_key(pem: str) -> Ed25519PublicKey:
    """The Ed25519 key of a PEM public key, or of an X.509 certificate that carries one.

    Certificates are accepted because the Helm chart makes the key pair itself: Helm can
    make an Ed25519 private key and a certificate for it, but not a bare public key.
    """
    try:
        if "-----BEGIN CERTIFICATE-----" in pem:
            key: PublicKeyTypes | None = load_pem_x509_certificate(pem.encode()).public_key()
        else:
            key = load_pem_public_key(pem.encode())
    except ValueError:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("JWT_PUBLIC_KEY is not an Ed25519 public key or certificate in PEM form")
    return key
