"""`create_app`: one FastAPI application wired the same way for every service."""

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry

from servicekit.clients.redis import create_redis, create_sync_redis
from servicekit.core.collector import settle_startup_heap
from servicekit.core.ids import SnowflakeGenerator, WorkerIdLease
from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import Database, create_database
from servicekit.db.revisions import SchemaRevisions
from servicekit.observability.logging import AccessLog, configure_logging
from servicekit.observability.metrics import (
    FaultMetrics,
    HttpMetrics,
    LoopLagMonitor,
    PoolMetrics,
    create_registry,
    metrics_endpoint,
)
from servicekit.observability.request_id import request_id_middleware
from servicekit.observability.telemetry import RequestTelemetryMiddleware
from servicekit.observability.tracing import configure_tracing, trace_engine
from servicekit.security.revocation import RevocationList
from servicekit.security.tokens import TokenVerifier
from servicekit.web import health
from servicekit.web.body_limit import BodySizeLimitMiddleware
from servicekit.web.methods import AllowedMethodsMiddleware
from servicekit.web.openapi import install_openapi
from servicekit.web.problem_details import install_problem_handlers
from servicekit.web.state import ServiceState

if TYPE_CHECKING:
    from servicekit.faults.switch import FaultSwitch

logger = logging.getLogger(__name__)

# (settings, the app's metrics registry or None) -> the service's own objects: a
# dataclass, whose fields with an `aclose` are closed at shutdown.
Resources = Callable[[Any, CollectorRegistry | None], object]


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


async def _close_resources(resources: object) -> None:
    if not dataclasses.is_dataclass(resources):
        return
    for field in dataclasses.fields(resources):
        part = getattr(resources, field.name)
        if hasattr(part, "aclose"):
            await part.aclose()


def _open_database(settings: ServiceSettings, pools: PoolMetrics | None) -> Database:
    db = create_database(settings, checkout_timers=pools.checkout_timer if pools else None)
    if pools:
        pools.watch(db)
    if settings.tracing_enabled:
        trace_engine(db.async_engine.sync_engine)
        trace_engine(db.sync_engine)
    return db


def _fault_switch(
    settings: ServiceSettings, registry: CollectorRegistry | None
) -> "FaultSwitch | None":
    """The fault switch with FAULTS_ENABLED=true, else None (and nothing of it is loaded)."""
    if not settings.faults_enabled:
        return None
    # Imported here: a service started without the switch loads nothing of it.
    from servicekit.faults.switch import FaultSwitch

    metrics = FaultMetrics(registry, settings.service_name) if registry else None
    return FaultSwitch(
        settings.service_name, poll_seconds=settings.fault_poll_seconds, metrics=metrics
    )


def _install_faults(app: FastAPI, switch: "FaultSwitch", settings: ServiceSettings) -> None:
    """The admin route and the middleware that applies the fault, innermost."""
    from servicekit.faults.admin import admin_router
    from servicekit.faults.effects import FaultMiddleware

    assert settings.fault_admin_token is not None  # the settings refuse to start without
    app.include_router(admin_router(switch, settings.fault_admin_token))
    app.add_middleware(FaultMiddleware, switch=switch)


def _start_faults(switch: "FaultSwitch", state: ServiceState[Any]) -> "asyncio.Task[None]":
    """Slow statements on the service's sessions, and the switch following Redis."""
    from servicekit.faults.effects import slow_statements

    slow_statements(state.db, switch)
    return asyncio.create_task(switch.run(state.redis))


def create_app(
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    *,
    title: str | None = None,
    resources: Resources | None = None,
    migrations: Path | None = None,
) -> FastAPI:
    """The app of one service.

    Engines, Redis clients and the worker-id lease are made in the lifespan and put on
    `app.state.service` (`servicekit.web.state.ServiceState`); `resources(settings, registry)`
    makes the service's own long-lived objects, its `resources` there, and may register
    the service's own metrics in the app's Prometheus registry (None with
    METRICS_ENABLED=false).
    `migrations`, the service's alembic.ini, lets /readyz wait for the schema.
    """
    name = settings.service_name
    schema = SchemaRevisions(migrations) if migrations else None
    console = configure_logging(name, settings.log_level, settings.log_format)
    if settings.tracing_enabled:
        configure_tracing(name)
    registry = create_registry() if settings.metrics_enabled else None
    pools = PoolMetrics(registry, name) if registry else None
    loop_lag = LoopLagMonitor(registry, name) if registry else None
    access_log = AccessLog(name, console=console) if settings.access_log else None
    ids = SnowflakeGenerator()
    faults = _fault_switch(settings, registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.sync_threads
        async with _worker_id(settings, ids):
            async_redis = create_redis(settings)
            revocations = RevocationList(async_redis)
            state = ServiceState(
                settings=settings,
                ids=ids,
                schema=schema,
                db=_open_database(settings, pools),
                redis=async_redis,
                sync_redis=create_sync_redis(settings),
                token_verifier=TokenVerifier(
                    settings.jwt_public_key,
                    issuer=settings.jwt_issuer,
                    audience=settings.jwt_audience,
                    revocations=revocations,
                    max_lifetime_seconds=settings.access_token_ttl_seconds,
                ),
                resources=resources(settings, registry) if resources else None,
            )
            app.state.service = state
            tasks = [asyncio.create_task(revocations.run())]
            if loop_lag:
                tasks.append(asyncio.create_task(loop_lag.run()))
            if access_log:
                tasks.append(asyncio.create_task(access_log.run()))
            if faults:
                tasks.append(_start_faults(faults, state))
            settle_startup_heap()
            logger.info("%s started (worker id %s)", name, ids.worker_id)
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                if access_log:
                    access_log.flush()
                await _close_resources(state.resources)
                await state.redis.aclose()
                state.sync_redis.close()
                if pools:
                    pools.unwatch(state.db)
                await state.db.dispose()

    # FastAPI's own OpenTelemetry support is off: servicekit.observability.telemetry makes
    # the server span at a sixth of its cost (servicekit.observability.tracing says more).
    off: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(title=title or name, lifespan=lifespan, telemetry=off)
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    # Last: the service's routes are matched first, and probes are rare next to them.
    app.include_router(health.router)
    if registry:
        app.add_route("/metrics", metrics_endpoint(registry), include_in_schema=False)
    install_openapi(app, max_body_bytes=settings.max_body_bytes)
    # add_middleware wraps: the last added runs first. From the outside in: the request
    # id, which everything after carries; the span, metrics and access line; the body
    # limit, whose 413s are thus counted; the methods each path allows, next to the
    # router whose routes they are; with FAULTS_ENABLED, the fault, innermost, so its
    # delays and errors are observed like the service's own.
    if faults:
        _install_faults(app, faults, settings)
    app.add_middleware(AllowedMethodsMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if registry or settings.access_log or settings.tracing_enabled:
        app.add_middleware(
            RequestTelemetryMiddleware,
            traced=settings.tracing_enabled,
            metrics=HttpMetrics(registry, name) if registry else None,
            access_log=access_log,
        )
    app.add_middleware(request_id_middleware(ids.next_id))
    return app
