"""Every tasks route needs a valid token of the users service; tasks holds only the
public key. A missing, expired or forged token is a 401 problem on every route, and
writes nothing."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_json(value: dict) -> str:
    return b64url(json.dumps(value).encode())


def claims_of(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def flip_middle(segment: str) -> str:
    # The middle character, unlike the last one, carries no padding bits: any change to it
    # changes the decoded bytes.
    middle = len(segment) // 2
    replacement = "A" if segment[middle] != "A" else "B"
    return segment[:middle] + replacement + segment[middle + 1 :]


def foreign_private_key() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        .decode()
    )


def hs256_signed(payload: str, secret: bytes) -> str:
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def forge(kind: str, victim, attacker, mint_token, jwt_private_key, public_key) -> str | None:
    """An Authorization header value that must not authenticate anybody, aimed at victim;
    None for no header at all."""
    header, payload, signature = mint_token(str(victim.id)).split(".")
    now = int(time.time())
    match kind:
        case "missing":
            return None
        case "empty-bearer":
            return "Bearer "
        case "expired":
            return f"Bearer {mint_token(str(victim.id), expires_in=-60)}"
        case "payload-char-flipped":
            return f"Bearer {header}.{flip_middle(payload)}.{signature}"
        case "signature-char-flipped":
            return f"Bearer {header}.{payload}.{flip_middle(signature)}"
        case "signature-dropped":
            return f"Bearer {header}.{payload}."
        case "subject-swapped":
            own_header, own_payload, own_signature = attacker.token.split(".")
            swapped = b64url_json(claims_of(own_payload) | {"sub": str(victim.id)})
            return f"Bearer {own_header}.{swapped}.{own_signature}"
        case "foreign-key":
            return f"Bearer {mint_token(str(victim.id), private_key=foreign_private_key())}"
        case "alg-none":
            return f"Bearer {b64url_json({'alg': 'none', 'typ': 'JWT'})}.{payload}."
        case "alg-none-with-signature":
            return f"Bearer {b64url_json({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}"
        case "hs256-with-public-key":
            return f"Bearer {hs256_signed(payload, public_key.encode())}"
        case "wrong-audience":
            return f"Bearer {mint_token(str(victim.id), claims={'aud': 'elsewhere'})}"
        case "wrong-issuer":
            return f"Bearer {mint_token(str(victim.id), claims={'iss': 'mallory'})}"
        case "no-expiry":
            claims = {"sub": str(victim.id), "iss": "users", "aud": "services", "iat": now}
            return f"Bearer {jwt.encode(claims, jwt_private_key, algorithm='EdDSA')}"
        case "subject-zero" | "subject-negative" | "subject-text" | "subject-over-bigint":
            subject = {"zero": "0", "negative": "-1", "text": "abc", "over-bigint": str(2**63)}
            return f"Bearer {mint_token(subject[kind.removeprefix('subject-')])}"
        case "garbage":
            return "Bearer abc"
        case "no-scheme":
            return f"{header}.{payload}.{signature}"
        case "basic-scheme-with-token":
            return f"Basic {header}.{payload}.{signature}"
    raise AssertionError(kind)


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
    "garbage",
    "no-scheme",
    "basic-scheme-with-token",
]

# Every route, with a body that would be valid: only the token is wrong.
ROUTES = [
    ("POST", "{api}/tasks", {"title": "Injected"}),
    ("GET", "{api}/tasks", None),
    ("GET", "{api}/tasks/{id}", None),
    ("PATCH", "{api}/tasks/{id}", {"title": "Hacked", "due_date": None}),
    ("PUT", "{api}/tasks/{id}/done", None),
    ("DELETE", "{api}/tasks/{id}/done", None),
    ("DELETE", "{api}/tasks/{id}", None),
]


@pytest.mark.parametrize("kind", FORGERIES)
async def test_bad_token_is_401_on_every_route_and_writes_nothing(
    client,
    api,
    owner,
    task_factory,
    stored,
    assert_problem,
    mint_token,
    jwt_private_key,
    jwt_public_key,
    kind,
):
    victim, attacker = owner(), owner()
    open_task = await task_factory(victim, title="Open one", due_date="2026-12-31")
    done_task = await task_factory(victim, title="Done one", done=True)
    rows = {task["id"]: await stored.task(task["id"]) for task in (open_task, done_task)}
    fingerprint = await stored.fingerprint()
    forged = forge(kind, victim, attacker, mint_token, jwt_private_key, jwt_public_key)
    headers = {} if forged is None else {"Authorization": forged}

    for task in (open_task, done_task):
        for method, path, body in ROUTES:
            url = path.format(api=api, id=task["id"])
            response = await client.request(method, url, json=body, headers=headers)
            problem = assert_problem(response, 401)
            assert "items" not in problem
            assert task["title"] not in response.text

    assert {task_id: await stored.task(task_id) for task_id in rows} == rows
    assert await stored.fingerprint() == fingerprint
    # The same victim, properly signed, is served: the rejection was the forgery's.
    genuine = await client.get(f"{api}/tasks", headers=victim.headers)
    assert [task["id"] for task in genuine.json()["items"]] == [open_task["id"], done_task["id"]]


async def test_401_comes_before_validation(client, api, assert_problem):
    """Without a token nothing about the request is looked at, not even its body."""
    response = await client.post(f"{api}/tasks", json={"title": "", "done": True})

    assert_problem(response, 401)


async def test_tasks_trusts_any_subject_the_users_service_signed(client, api, mint_token, stored):
    """tasks never calls users: a validly signed subject is a user, even one it never saw."""
    subject = 2**63 - 1
    headers = {"Authorization": f"Bearer {mint_token(str(subject))}"}

    response = await client.post(f"{api}/tasks", json={"title": "Mine"}, headers=headers)

    assert response.status_code == 201, response.text
    assert (await stored.task(response.json()["id"]))["owner_id"] == subject
