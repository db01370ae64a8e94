"""The development key pair that signs access tokens (users) and verifies them (all)."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_KEY_FILE = "jwt-ed25519.pem"
PUBLIC_KEY_FILE = "jwt-ed25519.pub.pem"


def _write(path: Path, text: str, mode: int) -> None:
    # Created with its final mode and renamed into place: the private key is never
    # readable by others, and a crash never leaves half a key behind.
    staging = path.with_name(path.name + ".tmp")
    staging.unlink(missing_ok=True)
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    staging.replace(path)


def ensure_dev_keypair(folder: Path) -> tuple[str, str]:
    """(private PEM, public PEM): an Ed25519 pair made once in `folder`, then reused."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path = folder / PRIVATE_KEY_FILE
    public_path = folder / PUBLIC_KEY_FILE
    if private_path.exists():
        private_key = serialization.load_pem_private_key(private_path.read_bytes(), None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError(f"{private_path} does not hold an Ed25519 private key")
    else:
        private_key = Ed25519PrivateKey.generate()
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        _write(private_path, private_pem, 0o600)
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # Always derived from the private key, so the pair cannot drift apart.
    if not public_path.exists() or public_path.read_text() != public_pem:
        _write(public_path, public_pem, 0o644)
    return private_path.read_text(), public_pem
