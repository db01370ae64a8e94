"""Verification of the access tokens that users issues: EdDSA JWTs checked with the
public key alone, so no service calls users per request."""

import re
import time
from dataclasses import dataclass, field
from typing import Protocol

import jwt

from servicekit.core.ids import is_id
from servicekit.core.public_key import load_public_key

# The only algorithm accepted: pinning it rules out `none` and the HS256-with-public-key trick.
ALGORITHM = "EdDSA"
# What a token may live beyond that: users writes `exp` as the whole second of a
# fractional `iat` plus the lifetime, so an honest token's `exp - iat` is at most the
# lifetime; the slack only spares a token issued just before a lifetime was shortened.
LIFETIME_SLACK_SECONDS = 60
# The subject as users writes it: an account id in decimal, nothing around it. `int()`
# alone would also take " 2", "+2", "02", "0_2" and "２" for 2: other tokens for the
# same account, and a token's text is what the verified cache is keyed by.
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,18}")


class InvalidToken(Exception):
    pass


class RevokedToken(InvalidToken):
    """A valid token its user voided (servicekit.security.revocation)."""


class Revocations(Protocol):
    def is_revoked(self, user_id: int, issued_at: float) -> bool: ...


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    # The verified token itself, for work done later on the caller's behalf (a job
    # that calls another service as the submitter). Never shown or compared.
    token: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Verified:
    user_id: int
    issued_at: float
    expires_at: float


class TokenVerifier:
    """Checks a token's signature, claims and revocation.

    A verified token is remembered by its text (up to `CACHE_SIZE` of them): its
    Ed25519 check costs more than the rest of a short request, and a client sends the
    same token for as long as it lives. Expiry and revocation are still checked on
    every request, so a remembered token is refused at the same moment as a new one.
    """

    CACHE_SIZE = 4096

    def __init__(
        self,
        public_key_pem: str,
        *,
        issuer: str,
        audience: str,
        max_lifetime_seconds: float,
        revocations: Revocations | None = None,
    ):
        # Parsed once: PEM parsing per request would cost more than the signature check.
        self._key = load_public_key(public_key_pem)
        self._issuer = issuer
        self._audience = audience
        self._revocations = revocations
        # A token signed with the real key but made to live for a century (a leaked
        # key's, or an issuer's bug) is refused: no token outlives what users issues.
        self._max_lifetime = max_lifetime_seconds + LIFETIME_SLACK_SECONDS
        self._verified: dict[str, _Verified] = {}

    def verify(self, token: str) -> Principal:
        verified = self._verified.get(token)
        if verified is None or time.time() >= verified.expires_at:
            verified = self._verify_signed(token)
        if self._revocations is not None and self._revocations.is_revoked(
            verified.user_id, verified.issued_at
        ):
            raise RevokedToken("revoked")
        return Principal(user_id=verified.user_id, token=token)

    def _verify_signed(self, token: str) -> _Verified:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            subject = claims["sub"]
            # users writes a fractional `iat` (RFC 7519 allows it): a revocation cutoff
            # in the same second as a login must tell the two apart.
            issued_at = float(claims["iat"])
            expires_at = float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        if not isinstance(subject, str) or not _CANONICAL_ID.fullmatch(subject):
            raise InvalidToken("subject is not an account id in canonical decimal")
        user_id = int(subject)
        if not is_id(user_id):  # else it would fail in the database, not here
            raise InvalidToken("subject out of range")
        # PyJWT has refused an `iat` in the future, so this also bounds `exp` from now.
        if expires_at - issued_at > self._max_lifetime:
            raise InvalidToken(
                f"lifetime {expires_at - issued_at:.0f} s is longer than the "
                f"{self._max_lifetime:.0f} s allowed"
            )
        verified = _Verified(user_id, issued_at, expires_at)
        if len(self._verified) >= self.CACHE_SIZE:
            # Emptied rather than evicted one by one: no bookkeeping per request, and
            # safe without a lock for the `def` handlers' threads.
            self._verified.clear()
        self._verified[token] = verified
        return verified
