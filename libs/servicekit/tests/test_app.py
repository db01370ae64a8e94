"""`create_app`: what its lifespan puts on the app, and the worker-id lease it holds."""

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import pytest
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from servicekit.app import create_app
from servicekit.core.collector import YOUNG_THRESHOLD
from servicekit.core.ids import WorkerIdLease, parse
from servicekit.core.settings import ServiceSettings
from servicekit.security.tokens import TokenVerifier
from servicekit.web.state import state_of


@pytest.fixture
def settings(server_urls: dict[str, str], jwt_public_key: str) -> Callable[..., ServiceSettings]:
    def make(**overrides: Any) -> ServiceSettings:
        options: dict[str, Any] = {
            "service_name": "probe",
            "database_url": server_urls["postgres"],
            "redis_url": server_urls["redis"],
            "jwt_public_key": jwt_public_key,
            **overrides,
        }
        return ServiceSettings(**options)

    return make


async def test_without_worker_id_the_app_leases_one_for_its_lifespan(
    settings: Callable[..., ServiceSettings], redis_client: redis.Redis
) -> None:
    app = create_app(settings(), [])
    leased = None
    try:
        async with app.router.lifespan_context(app):
            leased = app.state.service.ids.worker_id
            assert leased is not None
            assert redis_client.exists(WorkerIdLease.KEY.format(leased))
            assert parse(app.state.service.ids.next_id())[1] == leased
        assert not redis_client.exists(WorkerIdLease.KEY.format(leased))
    finally:
        if leased is not None:
            redis_client.delete(WorkerIdLease.KEY.format(leased))


async def test_a_pinned_worker_id_needs_no_redis(
    settings: Callable[..., ServiceSettings], closed_port: int
) -> None:
    app = create_app(settings(worker_id=1023, redis_url=f"redis://127.0.0.1:{closed_port}/0"), [])
    async with app.router.lifespan_context(app):
        assert app.state.service.ids.worker_id == 1023


async def test_without_worker_id_or_redis_startup_fails_naming_worker_id(
    settings: Callable[..., ServiceSettings], closed_port: int
) -> None:
    app = create_app(settings(redis_url=f"redis://127.0.0.1:{closed_port}/0"), [])
    with pytest.raises(RuntimeError, match="WORKER_ID"):
        async with app.router.lifespan_context(app):
            pass


@dataclass
class Greeter:
    greeting: str
    closed: bool = False

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class ProbeResources:
    greeter: Greeter


async def test_the_lifespan_puts_one_typed_state_on_the_app_and_closes_its_parts(
    settings: Callable[..., ServiceSettings],
) -> None:
    public_pem = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    chosen = settings(worker_id=3, jwt_public_key=public_pem)
    app = create_app(
        chosen,
        [],
        resources=lambda given, _metrics: ProbeResources(Greeter(f"hi {given.service_name}")),
    )
    async with app.router.lifespan_context(app):
        state = state_of(app)
        assert state.settings is chosen
        assert isinstance(state.token_verifier, TokenVerifier)
        greeter = state.resources.greeter
        assert greeter.greeting == "hi probe"
        assert await state.redis.ping()
        await state.db.ping()
    assert greeter.closed
    assert app.title == "probe"


async def test_sync_handlers_get_the_configured_thread_count(
    settings: Callable[..., ServiceSettings],
) -> None:
    limiter = anyio.to_thread.current_default_thread_limiter()
    before = limiter.total_tokens
    app = create_app(settings(worker_id=3, sync_threads=7), [])
    try:
        async with app.router.lifespan_context(app):
            assert limiter.total_tokens == 7
    finally:
        limiter.total_tokens = before


async def test_the_startup_heap_is_frozen_and_the_young_threshold_raised(
    settings: Callable[..., ServiceSettings],
) -> None:
    # A full collection must not walk what startup made, and request churn must not
    # trigger a collection every 700 allocations (servicekit.core.collector says why).
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        app = create_app(settings(worker_id=3), [])
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)
