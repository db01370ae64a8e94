"""Tokens that must authenticate nobody: tampered, re-signed, mis-addressed or not tokens
at all. Every service refuses each of `FORGERIES` with a 401 and writes nothing."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from testkit.keys import MintToken, new_private_key

FORGERIES = [
    "missing",
    "empty-bearer",
    "expired",
    "payload-char-flipped",
    "signature-char-flipped",
    "signature-dropped",
    "subject-swapped",
    "foreign-key",
    "alg-none",
    "alg-none-with-signature",
    "hs256-with-public-key",
    "wrong-audience",
    "wrong-issuer",
    "no-expiry",
    "subject-zero",
    "subject-negative",
    "subject-text",
    "subject-over-bigint",
    "subject-padded",
    "subject-plus-sign",
    "subject-leading-zero",
    "subject-underscored",
    "subject-fullwidth-digits",
    "lives-a-century",
    "lives-past-the-lifetime",
    "no-issued-at",
    "garbage",
    "no-scheme",
    "basic-scheme",
    "basic-scheme-with-token",
]
# Every forgery is refused by servicekit's `CurrentUser` (its tests send each one); a
# service shows its routes stand behind it, on the verifier its settings make, with one
# of each: no token, an expired one, a broken signature, another user's claims, a
# lifetime past the one its settings allow, another scheme.
A_FEW_FORGERIES = [
    "missing",
    "expired",
    "signature-char-flipped",
    "subject-swapped",
    "lives-past-the-lifetime",
    "basic-scheme",
]

# Subjects no account can have: ids are positive and fit a signed 64-bit integer.
IMPOSSIBLE_SUBJECTS = {
    "subject-zero": "0",
    "subject-negative": "-1",
    "subject-text": "abc",
    "subject-over-bigint": str(2**63),
}


# The victim's own id, written so that `int()` still reads it: each is another token,
# signed with the real key, for the same account (only the canonical form is accepted).
def _padded(victim: str) -> str:
    return f" {victim}"


def _underscored(victim: str) -> str:
    return f"0_{victim}" if len(victim) == 1 else f"{victim[0]}_{victim[1:]}"


def _fullwidth(victim: str) -> str:
    return "".join(chr(0xFF10 + int(digit)) for digit in victim)


ALIASED_SUBJECTS = {
    "subject-padded": _padded,
    "subject-plus-sign": lambda victim: f"+{victim}",
    "subject-leading-zero": lambda victim: f"0{victim}",
    "subject-underscored": _underscored,
    "subject-fullwidth-digits": _fullwidth,
}
# Longer than any token users issues (ACCESS_TOKEN_TTL_SECONDS, an hour by default, and
# the verifiers' minute of slack), signed with the real key.
CENTURY_SECONDS = 100 * 365 * 86400
PAST_THE_LIFETIME_SECONDS = 3600 + 3600


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value).encode())


def claims_of(segment: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return claims


def flip_middle(segment: str) -> str:
    # The middle character, unlike the last one, carries no padding bits: any change to it
    # changes the decoded bytes.
    middle = len(segment) // 2
    replacement = "A" if segment[middle] != "A" else "B"
    return segment[:middle] + replacement + segment[middle + 1 :]


def hs256_signed(payload: str, secret: bytes) -> str:
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


@pytest.fixture(scope="session")
def forge_token(
    mint_token: MintToken, jwt_private_key: str, jwt_public_key: str
) -> Callable[..., str | None]:
    """`forge_token(kind, victim_id, attacker_token=..., credentials=...)`: an Authorization
    header value of one of `FORGERIES`, aimed at the victim; None for no header at all.

    `attacker_token` is another user's valid token (one is minted if not given);
    `credentials` ("email:password") is what "basic-scheme" sends.
    """

    def forge(
        kind: str,
        victim_id: int,
        *,
        attacker_token: str | None = None,
        credentials: str = "ann:secret",
    ) -> str | None:
        victim = str(victim_id)
        header, payload, signature = mint_token(victim).split(".")
        match kind:
            case "missing":
                return None
            case "empty-bearer":
                return "Bearer "
            case "expired":
                return f"Bearer {mint_token(victim, expires_in=-60)}"
            case "payload-char-flipped":
                return f"Bearer {header}.{flip_middle(payload)}.{signature}"
            case "signature-char-flipped":
                return f"Bearer {header}.{payload}.{flip_middle(signature)}"
            case "signature-dropped":
                return f"Bearer {header}.{payload}."
            case "subject-swapped":
                own = attacker_token or mint_token(str(victim_id + 1))
                own_header, own_payload, own_signature = own.split(".")
                swapped = b64url_json(claims_of(own_payload) | {"sub": victim})
                return f"Bearer {own_header}.{swapped}.{own_signature}"
            case "foreign-key":
                return f"Bearer {mint_token(victim, private_key=new_private_key())}"
            case "alg-none":
                return f"Bearer {b64url_json({'alg': 'none', 'typ': 'JWT'})}.{payload}."
            case "alg-none-with-signature":
                return f"Bearer {b64url_json({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}"
            case "hs256-with-public-key":
                return f"Bearer {hs256_signed(payload, jwt_public_key.encode())}"
            case "wrong-audience":
                return f"Bearer {mint_token(victim, claims={'aud': 'elsewhere'})}"
            case "wrong-issuer":
                return f"Bearer {mint_token(victim, claims={'iss': 'mallory'})}"
            case "no-expiry":
                claims = {"sub": victim, "iss": "users", "aud": "services", "iat": time.time()}
                return f"Bearer {jwt.encode(claims, jwt_private_key, algorithm='EdDSA')}"
            case kind if kind in ALIASED_SUBJECTS:
                return f"Bearer {mint_token(ALIASED_SUBJECTS[kind](victim))}"
            case "lives-a-century":
                return f"Bearer {mint_token(victim, expires_in=CENTURY_SECONDS)}"
            case "lives-past-the-lifetime":
                return f"Bearer {mint_token(victim, expires_in=PAST_THE_LIFETIME_SECONDS)}"
            case "no-issued-at":
                claims = {"sub": victim, "iss": "users", "aud": "services"}
                claims["exp"] = int(time.time()) + 300
                return f"Bearer {jwt.encode(claims, jwt_private_key, algorithm='EdDSA')}"
            case kind if kind in IMPOSSIBLE_SUBJECTS:
                return f"Bearer {mint_token(IMPOSSIBLE_SUBJECTS[kind])}"
            case "garbage":
                return "Bearer abc"
            case "no-scheme":
                return f"{header}.{payload}.{signature}"
            case "basic-scheme":
                return f"Basic {base64.b64encode(credentials.encode()).decode()}"
            case "basic-scheme-with-token":
                return f"Basic {header}.{payload}.{signature}"
        raise AssertionError(kind)

    return forge
