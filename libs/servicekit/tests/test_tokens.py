"""EdDSA access tokens verified with the public key alone, and `CurrentUser` over HTTP."""

import base64
import datetime
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from cryptography.x509.oid import NameOID
from fastapi import APIRouter

from servicekit.security.tokens import (
    LIFETIME_SLACK_SECONDS,
    InvalidToken,
    Principal,
    RevokedToken,
    TokenVerifier,
)
from servicekit.web.auth import CurrentUser
from testkit.forgeries import FORGERIES

if TYPE_CHECKING:
    from .conftest import Serve

ISSUER, AUDIENCE = "users", "services"
# The lifetime of the tokens users issues here.
LIFETIME = 3600


def private_pem(key: PrivateKeyTypes) -> str:
    result: str = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return result


def public_pem(key: PrivateKeyTypes) -> str:
    result: str = (
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )
    return result


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": "42",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
    }
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not None}


@pytest.fixture(scope="module")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def verifier(signing_key: Ed25519PrivateKey) -> TokenVerifier:
    return TokenVerifier(
        public_pem(signing_key), issuer=ISSUER, audience=AUDIENCE, max_lifetime_seconds=LIFETIME
    )


@pytest.fixture(scope="module")
def sign(signing_key: Ed25519PrivateKey) -> Callable[..., str]:
    def make(**overrides: Any) -> str:
        return jwt.encode(claims(**overrides), private_pem(signing_key), algorithm="EdDSA")

    return make


def test_a_fresh_token_is_accepted(verifier: TokenVerifier, sign: Callable[..., str]) -> None:
    assert verifier.verify(sign()) == Principal(user_id=42)


def test_a_remembered_token_is_refused_once_it_expires(
    verifier: TokenVerifier, sign: Callable[..., str]
) -> None:
    # Verified tokens are remembered by their text; their expiry is checked every time.
    expires = int(time.time()) + 2
    token = sign(exp=expires)
    assert verifier.verify(token) == Principal(user_id=42)
    assert verifier.verify(token) == Principal(user_id=42)
    while time.time() < expires:
        time.sleep(0.05)
    with pytest.raises(InvalidToken):
        verifier.verify(token)


class Cutoffs:
    """Revocations kept in memory: the `Revocations` protocol at its simplest."""

    def __init__(self) -> None:
        self.cutoffs: dict[int, float] = {}

    def is_revoked(self, user_id: int, issued_at: float) -> bool:
        return issued_at < self.cutoffs.get(user_id, 0.0)


def test_a_remembered_token_is_refused_once_revoked(
    signing_key: Ed25519PrivateKey, sign: Callable[..., str]
) -> None:
    revocations = Cutoffs()
    verifier = TokenVerifier(
        public_pem(signing_key),
        issuer=ISSUER,
        audience=AUDIENCE,
        max_lifetime_seconds=LIFETIME,
        revocations=revocations,
    )
    token = sign(iat=time.time() - 1)
    assert verifier.verify(token) == Principal(user_id=42)
    revocations.cutoffs[42] = time.time()
    with pytest.raises(RevokedToken):
        verifier.verify(token)


def test_the_remembered_tokens_stay_bounded(
    signing_key: Ed25519PrivateKey, sign: Callable[..., str]
) -> None:
    verifier = TokenVerifier(
        public_pem(signing_key), issuer=ISSUER, audience=AUDIENCE, max_lifetime_seconds=LIFETIME
    )
    verifier.CACHE_SIZE = 3
    tokens = [sign(sub=str(user)) for user in range(1, 11)]
    for user, token in enumerate(tokens, start=1):
        assert verifier.verify(token).user_id == user
        assert len(verifier._verified) <= 3
    # A forgotten token is verified afresh, and still accepted.
    assert verifier.verify(tokens[0]).user_id == 1


def test_the_largest_bigint_subject_is_accepted(
    verifier: TokenVerifier, sign: Callable[..., str]
) -> None:
    assert verifier.verify(sign(sub=str(2**63 - 1))).user_id == 2**63 - 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": int(time.time()) - 10},
        {"iss": "someone-else"},
        {"aud": "another-audience"},
        {"sub": None},
        {"exp": None},
        {"iat": None},
        {"iss": None},
        {"aud": None},
        {"sub": "not-a-number"},
        {"sub": "0"},
        {"sub": "-5"},
        {"sub": str(2**63)},
        {"sub": 42},  # subjects are strings
    ],
    ids=[
        "expired",
        "wrong-issuer",
        "wrong-audience",
        "no-sub",
        "no-exp",
        "no-iat",
        "no-iss",
        "no-aud",
        "sub-not-a-number",
        "sub-zero",
        "sub-negative",
        "sub-over-bigint",
        "sub-not-a-string",
    ],
)
def test_bad_claims_are_refused(
    verifier: TokenVerifier, sign: Callable[..., str], overrides: dict[str, Any]
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(sign(**overrides))


@pytest.mark.parametrize(
    "subject",
    [" 42", "42 ", "\t42\n", "+42", "042", "4_2", "\uff14\uff12", "\u0664\u0662", "42.0", "4e1"],
    ids=[
        "leading-space",
        "trailing-space",
        "tab-and-newline",
        "plus-sign",
        "leading-zero",
        "underscore",
        "fullwidth-digits",
        "arabic-indic-digits",
        "decimal-point",
        "exponent",
    ],
)
def test_a_subject_not_in_canonical_decimal_is_refused(
    verifier: TokenVerifier, sign: Callable[..., str], subject: str
) -> None:
    # int() reads most of these as an account id: each would be another token, signed
    # with the real key, for the same account.
    with pytest.raises(InvalidToken, match="canonical"):
        verifier.verify(sign(sub=subject))


def test_a_token_may_live_as_long_as_the_lifetime_and_the_slack(
    verifier: TokenVerifier, sign: Callable[..., str]
) -> None:
    now = int(time.time())
    longest = LIFETIME + LIFETIME_SLACK_SECONDS
    assert verifier.verify(sign(iat=now, exp=now + longest)).user_id == 42
    assert verifier.verify(sign(iat=now - 0.9, exp=now + LIFETIME)).user_id == 42


@pytest.mark.parametrize(
    "lifetime",
    [LIFETIME + LIFETIME_SLACK_SECONDS + 1, 100 * 365 * 86400],
    ids=["just-over", "a-century"],
)
def test_a_token_made_to_live_longer_is_refused(
    verifier: TokenVerifier, sign: Callable[..., str], lifetime: int
) -> None:
    now = int(time.time())
    with pytest.raises(InvalidToken, match="lifetime"):
        verifier.verify(sign(iat=now, exp=now + lifetime))


def test_a_long_lifetime_cannot_hide_behind_an_issue_time_in_the_future(
    verifier: TokenVerifier, sign: Callable[..., str]
) -> None:
    later = int(time.time()) + 100 * 365 * 86400
    with pytest.raises(InvalidToken):
        verifier.verify(sign(iat=later - 60, exp=later))


def test_an_unsigned_token_is_refused(verifier: TokenVerifier) -> None:
    for alg in ("none", "None", "NONE"):
        token = f"{b64url_json({'alg': alg, 'typ': 'JWT'})}.{b64url_json(claims())}."
        with pytest.raises(InvalidToken):
            verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_refused(
    verifier: TokenVerifier, signing_key: Ed25519PrivateKey
) -> None:
    """The classic confusion: the public PEM used as an HMAC secret."""
    signing_input = f"{b64url_json({'alg': 'HS256', 'typ': 'JWT'})}.{b64url_json(claims())}"
    secret = public_pem(signing_key).encode()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken):
        verifier.verify(f"{signing_input}.{b64url(signature)}")


def test_a_token_of_another_ed25519_key_is_refused(verifier: TokenVerifier) -> None:
    stranger = private_pem(Ed25519PrivateKey.generate())
    token = jwt.encode(claims(), stranger, algorithm="EdDSA")
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_tampered_payload_is_refused(verifier: TokenVerifier, sign: Callable[..., str]) -> None:
    header, _payload, signature = sign().split(".")
    forged = f"{header}.{b64url_json(claims(sub='1'))}.{signature}"
    with pytest.raises(InvalidToken):
        verifier.verify(forged)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a.b", "🙂.🙂.🙂"])
def test_garbage_is_refused(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: ec.generate_private_key(ec.SECP256R1()),
        ed448.Ed448PrivateKey.generate,
    ],
    ids=["rsa", "ec-p256", "ed448"],
)
def test_a_public_key_that_is_not_ed25519_is_refused(
    make_key: Callable[[], PrivateKeyTypes],
) -> None:
    with pytest.raises(ValueError, match="Ed25519"):
        TokenVerifier(
            public_pem(make_key()), issuer=ISSUER, audience=AUDIENCE, max_lifetime_seconds=LIFETIME
        )


@pytest.mark.parametrize("pem", ["not a key", "-----BEGIN CERTIFICATE-----\nnope\n"])
def test_a_public_key_that_is_not_pem_is_refused(pem: str) -> None:
    with pytest.raises(ValueError, match="Ed25519"):
        TokenVerifier(pem, issuer=ISSUER, audience=AUDIENCE, max_lifetime_seconds=LIFETIME)


def self_signed_certificate(key: Ed25519PrivateKey) -> str:
    """What the Helm chart makes (genSelfSignedCertWithKey): a certificate for the key."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pyservices-tokens")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, None)
    )
    return certificate.public_bytes(Encoding.PEM).decode()


def test_a_certificate_of_the_signing_key_verifies_its_tokens(
    signing_key: Ed25519PrivateKey, sign: Callable[..., str]
) -> None:
    verifier = TokenVerifier(
        self_signed_certificate(signing_key),
        issuer=ISSUER,
        audience=AUDIENCE,
        max_lifetime_seconds=LIFETIME,
    )

    assert verifier.verify(sign()).user_id == 42


def test_a_certificate_of_another_key_verifies_none_of_its_tokens(sign: Callable[..., str]) -> None:
    other = TokenVerifier(
        self_signed_certificate(Ed25519PrivateKey.generate()),
        issuer=ISSUER,
        audience=AUDIENCE,
        max_lifetime_seconds=LIFETIME,
    )

    with pytest.raises(InvalidToken):
        other.verify(sign())


# CurrentUser over HTTP.

router = APIRouter()


@router.get("/me")
async def read_me(user: CurrentUser) -> dict[str, Any]:
    return {"user_id": user.user_id}


@pytest.fixture
async def client(
    serve: "Serve", signing_key: Ed25519PrivateKey
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve([router], jwt_public_key=public_pem(signing_key)) as c:
        yield c


async def test_current_user_comes_from_the_bearer_token(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    response = await client.get("/me", headers={"Authorization": f"Bearer {sign(sub='7')}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": 7}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
    ids=["none", "empty-bearer", "garbage", "basic"],
)
async def test_no_valid_token_is_a_401_problem(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/me", headers=headers)
    check_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", FORGERIES)
async def test_no_forgery_authenticates_anybody(
    serve: "Serve",
    forge_token: Callable[..., str | None],
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    kind: str,
) -> None:
    # The test key pair's public half, as every service verifies with (testkit.keys).
    forged = forge_token(kind, 7, credentials="ann@example.com:correct horse 1")
    headers = {} if forged is None else {"Authorization": forged}
    async with serve([router]) as client:
        response = await client.get("/me", headers=headers)

    check_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_expired_token_is_a_401_problem(
    client: httpx.AsyncClient,
    check_problem: Callable[[httpx.Response, int], dict[str, Any]],
    sign: Callable[..., str],
) -> None:
    token = sign(exp=int(time.time()) - 1, iat=int(time.time()) - 600)
    response = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert "expired" in check_problem(response, 401)["detail"]


async def test_a_refused_token_says_why_in_the_log_and_not_in_the_response(
    serve: "Serve",
    signing_key: Ed25519PrivateKey,
    sign: Callable[..., str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = int(time.time())
    century = sign(iat=now, exp=now + 100 * 365 * 86400)
    async with serve(
        [router], jwt_public_key=public_pem(signing_key), access_token_ttl_seconds=LIFETIME
    ) as client:
        response = await client.get("/me", headers={"Authorization": f"Bearer {century}"})

    assert response.status_code == 401
    assert "lifetime" not in response.text
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    refusals = [line for line in logged if line.get("logger") == "servicekit.web.auth"]
    assert len(refusals) == 1
    assert "lifetime" in refusals[0]["message"]
    assert refusals[0]["request_id"] == response.headers["x-request-id"]


async def test_the_lifetime_follows_the_setting(
    serve: "Serve", signing_key: Ed25519PrivateKey, sign: Callable[..., str]
) -> None:
    now = int(time.time())
    two_hours = sign(iat=now, exp=now + 7200)
    headers = {"Authorization": f"Bearer {two_hours}"}
    async with serve(
        [router], jwt_public_key=public_pem(signing_key), access_token_ttl_seconds=7200
    ) as client:
        assert (await client.get("/me", headers=headers)).status_code == 200
    async with serve(
        [router], jwt_public_key=public_pem(signing_key), access_token_ttl_seconds=3600
    ) as client:
        assert (await client.get("/me", headers=headers)).status_code == 401
