"""`ServiceState`: what a running service holds for its requests, as one typed object,
and `from_state`, the one way a handler depends on a part of it.

`create_app`'s lifespan builds it and puts it on `app.state.service`; nothing else is
set on `app.state`. A service's own long-lived objects (its clients, limits, queues) are
one dataclass of its own, in `resources`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Depends, FastAPI, Request
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from servicekit.core.ids import SnowflakeGenerator
from servicekit.core.settings import ServiceSettings
from servicekit.db.engines import Database
from servicekit.db.revisions import SchemaRevisions
from servicekit.security.tokens import TokenVerifier

OwnResources = TypeVar("OwnResources")
Part = TypeVar("Part")


@dataclass(slots=True)
class ServiceState(Generic[OwnResources]):
    """Mutable only so that a test can swap one part (a Redis that is away, say)."""

    settings: ServiceSettings
    ids: SnowflakeGenerator
    schema: SchemaRevisions | None
    db: Database
    redis: AsyncRedis
    sync_redis: Redis  # for def handlers
    token_verifier: TokenVerifier
    resources: OwnResources
    # Set by the first /readyz that found every dependency answering (servicekit.web.health).
    has_been_ready: bool = False


def state_of(app: FastAPI) -> ServiceState[Any]:
    """The state of a started app."""
    return cast(ServiceState[Any], app.state.service)


def from_state(pick: Callable[[ServiceState[Any]], Part]) -> Any:
    """`Annotated[T, from_state(lambda state: state.redis)]`: a dependency that hands a
    handler one part of the service's state."""

    # async: a plain def dependency would cost a thread hop per request.
    async def dependency(request: Request) -> Part:
        return pick(request.app.state.service)

    return Depends(dependency)


# For handlers written per mode that read (servicekit.queries.reads: run_read, run_read_sync).
DatabaseDep = Annotated[Database, from_state(lambda state: state.db)]
RedisDep = Annotated[AsyncRedis, from_state(lambda state: state.redis)]
SyncRedisDep = Annotated[Redis, from_state(lambda state: state.sync_redis)]
