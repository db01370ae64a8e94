"""Password hashes (Argon2id) and access tokens (EdDSA JWTs) of the users service."""

from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from servicekit.security.tokens import ALGORITHM
from users_service.errors import InvalidCredentials
from users_service.schemas import Token

# OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane): the library default takes 64 MiB
# per hash, which 20 concurrent logins would turn into more than a gigabyte.
passwords = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),))

# Verified when the email is unknown, so that both failures take the same time.
_DUMMY_HASH = passwords.hash("a password nobody has")


def check_password(stored: tuple[int, str] | None, password: str) -> int:
    """The user id behind valid credentials; raises the same error for every failure."""
    user_id, password_hash = stored if stored is not None else (0, _DUMMY_HASH)
    if not passwords.verify(password, password_hash) or stored is None:
        raise InvalidCredentials("The email or the password is wrong")
    return user_id


@dataclass
class TokenIssuer:
    private_key_pem: str
    issuer: str
    audience: str
    ttl_seconds: int

    def __post_init__(self) -> None:
        key = load_pem_private_key(self.private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("JWT_PRIVATE_KEY is not an Ed25519 key (tokens are EdDSA)")
        self._key = key

    def issue(self, user_id: int, issued_at: float) -> Token:
        """A token for `user_id`, issued at the instant its credentials were read.

        Dating the token back to that read, not to now, is what lets a revocation
        (servicekit.security.revocation) void a login that read the old password while the
        password was being changed.
        """
        claims = {
            "sub": str(user_id),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued_at,  # fractional: a cutoff in the same second must tell them apart
            "exp": int(issued_at) + self.ttl_seconds,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return Token(access_token=token, expires_in=self.ttl_seconds)
