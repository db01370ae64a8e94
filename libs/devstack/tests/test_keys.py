import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from devstack.keys import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, ensure_dev_keypair


def test_makes_an_ed25519_pair_that_signs_and_verifies(tmp_path: Path) -> None:
    private_pem, public_pem = ensure_dev_keypair(tmp_path / "keys")
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS8
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")  # SubjectPublicKeyInfo
    private_key = load_pem_private_key(private_pem.encode(), None)
    public_key = load_pem_public_key(public_pem.encode())
    assert isinstance(private_key, Ed25519PrivateKey)
    assert isinstance(public_key, Ed25519PublicKey)
    public_key.verify(private_key.sign(b"token"), b"token")


def test_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    ensure_dev_keypair(tmp_path)
    assert stat.S_IMODE((tmp_path / PRIVATE_KEY_FILE).stat().st_mode) == 0o600


def test_reuses_the_pair_it_made(tmp_path: Path) -> None:
    first = ensure_dev_keypair(tmp_path)
    assert ensure_dev_keypair(tmp_path) == first


def test_a_lost_public_key_is_derived_again(tmp_path: Path) -> None:
    first = ensure_dev_keypair(tmp_path)
    (tmp_path / PUBLIC_KEY_FILE).unlink()
    assert ensure_dev_keypair(tmp_path) == first
    assert (tmp_path / PUBLIC_KEY_FILE).read_text() == first[1]
