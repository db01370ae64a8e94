"""`create_app`: one FastAPI application wired the same way for every service."""

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI

from servicekit import health
from servicekit.body_limit import BodySizeLimitMiddleware
from servicekit.db import create_database
from servicekit.ids import SnowflakeGenerator, WorkerIdLease
from servicekit.logging import configure_logging
from servicekit.problems import install_problem_handlers
from servicekit.redis_clients import create_redis, create_sync_redis
from servicekit.request_id import request_id_middleware
from servicekit.settings import ServiceSettings
from servicekit.tokens import TokenVerifier

logger = logging.getLogger(__name__)

Resources = Callable[[Any], Mapping[str, object]]


@asynccontextmanager
async def _worker_id(settings: ServiceSettings, ids: SnowflakeGenerator) -> AsyncIterator[None]:
    if settings.worker_id is not None:
        ids.assign(settings.worker_id)
        yield
        return
    lease = WorkerIdLease(settings.redis_url, ids, settings.worker_id_lease_seconds)
    await anyio.to_thread.run_sync(lease.start)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(lease.stop)


def create_app(
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    *,
    title: str | None = None,
    resources: Resources | None = None,
) -> FastAPI:
    """The app of one service.

    Engines, Redis clients and the worker-id lease are made in the lifespan and put on
    `app.state`; `resources(settings)` adds the service's own long-lived objects there
    (those with an `aclose` are closed at shutdown).
    """
    configure_logging(settings.service_name, settings.log_level, access_log=settings.access_log)
    ids = SnowflakeGenerator()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.sync_threads
        async with _worker_id(settings, ids):
            app.state.settings = settings
            app.state.ids = ids
            app.state.db = create_database(settings)
            app.state.redis = create_redis(settings)
            app.state.sync_redis = create_sync_redis(settings)  # for def handlers
            if settings.jwt_public_key:
                app.state.token_verifier = TokenVerifier(
                    settings.jwt_public_key,
                    issuer=settings.jwt_issuer,
                    audience=settings.jwt_audience,
                )
            own = dict(resources(settings)) if resources else {}
            for name, value in own.items():
                setattr(app.state, name, value)
            logger.info("%s started (worker id %s)", settings.service_name, ids.worker_id)
            try:
                yield
            finally:
                for value in own.values():
                    if hasattr(value, "aclose"):
                        await value.aclose()
                await app.state.redis.aclose()
                app.state.sync_redis.close()
                await app.state.db.dispose()

    app = FastAPI(title=title or settings.service_name, lifespan=lifespan)
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    # Last: the service's routes are matched first, and probes are rare next to them.
    app.include_router(health.router)
    # add_middleware wraps: the last added runs first, so the request id is outermost.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    middleware, options = request_id_middleware(ids.next_id)
    app.add_middleware(middleware, **options)
    return app
