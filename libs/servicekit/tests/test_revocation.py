"""Token revocation through the real Redis: cutoffs written by users, read by every
service's `RevocationList`, and applied by the `TokenVerifier`."""

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator

import jwt
import pytest
import redis
import redis.asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from opentelemetry.sdk.trace import ReadableSpan

from devstack.ports import free_port
from servicecontracts.revocations import REVOCATIONS_KEY
from servicekit.security.revocation import RevocationList, revoke, revoke_sync
from servicekit.security.tokens import RevokedToken, TokenVerifier

HOUR = 3600


def some_user() -> int:
    # Far above any id a test database hands out: other suites share this Redis.
    return 8_000_000_000_000 + secrets.randbelow(10**12)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_a_revocation_voids_tokens_issued_before_it_only(client: redis.asyncio.Redis) -> None:
    user, revocations = some_user(), RevocationList(client)
    before = time.time()

    await revoke(client, user, keep_seconds=HOUR)
    await revocations.refresh()

    assert revocations.is_revoked(user, before)
    assert not revocations.is_revoked(user, time.time())
    assert not revocations.is_revoked(some_user(), before)


async def test_sync_writes_are_read_the_same(client: redis.asyncio.Redis, redis_url: str) -> None:
    user, revocations = some_user(), RevocationList(client)
    before = time.time()

    with redis.Redis.from_url(redis_url) as sync_client:
        revoke_sync(sync_client, user, keep_seconds=HOUR)
    await revocations.refresh()

    assert revocations.is_revoked(user, before)


async def test_a_late_write_cannot_move_a_cutoff_back(client: redis.asyncio.Redis) -> None:
    user, revocations = some_user(), RevocationList(client)
    await revoke(client, user, keep_seconds=HOUR)
    latest = await client.zscore(REVOCATIONS_KEY, str(user))
    assert latest is not None

    # As a delayed writer would:
    await client.zadd(REVOCATIONS_KEY, {str(user): latest - 60}, gt=True)
    await revoke(client, some_user(), keep_seconds=HOUR)
    await revocations.refresh()

    assert await client.zscore(REVOCATIONS_KEY, str(user)) == latest


async def test_cutoffs_older_than_the_token_lifetime_are_pruned(
    client: redis.asyncio.Redis,
) -> None:
    old_user = some_user()
    await client.zadd(REVOCATIONS_KEY, {str(old_user): time.time() - 2 * HOUR})

    await revoke(client, some_user(), keep_seconds=HOUR)

    assert await client.zscore(REVOCATIONS_KEY, str(old_user)) is None


async def test_with_redis_away_the_list_keeps_what_it_had(
    client: redis.asyncio.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    user, revocations = some_user(), RevocationList(client, refresh_seconds=0.01)
    before = time.time()
    await revoke(client, user, keep_seconds=HOUR)
    await revocations.refresh()
    gone = redis.asyncio.Redis(port=free_port(), socket_connect_timeout=0.2)
    revocations._redis = gone  # the same list, its Redis now unreachable

    caplog.set_level(logging.WARNING, logger="servicekit.security.revocation")
    refreshing = asyncio.create_task(revocations.run())
    deadline = time.monotonic() + 10
    while not caplog.records and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # dozens of failed refreshes more
    refreshing.cancel()

    assert revocations.is_revoked(user, before)
    warnings = [r for r in caplog.records if "not refreshed" in r.getMessage()]
    assert len(warnings) == 1  # said once, not once a refresh
    await gone.aclose()


def test_the_verifier_refuses_a_revoked_token_and_accepts_a_later_one() -> None:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    second = float(int(time.time()) - 10)  # a whole second, shortly before now

    class Cutoff:
        def is_revoked(self, user_id: int, issued_at: float) -> bool:
            return user_id == 7 and issued_at < second + 0.5

    verifier = TokenVerifier(
        public.decode(),
        issuer="users",
        audience="services",
        max_lifetime_seconds=3600,
        revocations=Cutoff(),
    )

    def token(issued_at: float) -> str:
        claims = {"sub": "7", "iss": "users", "aud": "services", "iat": issued_at}
        return jwt.encode(claims | {"exp": time.time() + 60}, private, algorithm="EdDSA")

    with pytest.raises(RevokedToken):
        verifier.verify(token(second + 0.4))  # the same second as the cutoff, before it
    assert verifier.verify(token(second + 0.6)).user_id == 7


async def test_refreshing_makes_no_traces(
    client: redis.asyncio.Redis, recorded_spans: list[ReadableSpan]
) -> None:
    revocations = RevocationList(client, refresh_seconds=0.01)
    refreshing = asyncio.create_task(revocations.run())
    await asyncio.sleep(0.2)  # a dozen refreshes
    refreshing.cancel()
    await client.get("a key")  # a command outside the refresh is traced, as always

    assert [(span.attributes or {}).get("db.statement") for span in recorded_spans] == ["GET ?"]
