"""`/healthz` answers from memory; `/readyz` checks the database, its schema and Redis.

Readiness is what a kubelet asks to decide whether this replica gets traffic. Until the
process has once found its database at its schema and Redis answering, it is not ready
(a new pod waits for its migrations, and a misconfigured one never replaces a working
one in a rolling update). After that, a dependency that stops answering is shared by
every replica: taking them all out of their Service would turn the 503 problems the app
answers by itself (with Retry-After, per route: most reads need no Redis) into the
gateway's 502s for every route. So /readyz then stays 200 with `status: degraded` and
names what does not answer; the replica leaves its Service only when it stops answering
/readyz at all (a wedged event loop), which the probe's own timeout catches.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from servicekit.db.revisions import current_revision
from servicekit.web.openapi import problem_response
from servicekit.web.problem_details import ProblemResponse, problem
from servicekit.web.state import ServiceState, state_of

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 1.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests. No I/O, so a slow database never kills it."""
    return {"status": "ok"}


async def _check(name: str, probe: Callable[[], Awaitable[object]]) -> dict[str, str]:
    """{name: "ok"} and the checks the probe returns, if any; or {name: "unavailable"}."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            found = await probe()
    except Exception as error:
        logger.warning("readiness check %s failed: %r", name, error)
        return {name: "unavailable"}
    return {name: "ok", **(found if isinstance(found, dict) else {})}


def _database_probe(state: ServiceState[Any]) -> Callable[[], Awaitable[Any]]:
    """A ping, or with the service's migrations known, the revision read that is one."""
    schema, db = state.schema, state.db
    if schema is None:
        return db.ping

    async def probe() -> dict[str, str]:
        return {"schema": schema.state(await current_revision(db.async_engine))}

    return probe


# A 503 without Retry-After: the probe asks again on its own schedule.
NOT_READY = problem_response("Not ready: `checks` names what does not answer")


@router.get("/readyz", response_model=None, responses={503: NOT_READY})
async def readyz(request: Request) -> JSONResponse | ProblemResponse:
    """Readiness: the database (at this code's schema) and Redis answered within a second,
    now or once since the process started (then `degraded` names what does not now)."""
    state = state_of(request.app)
    found = await asyncio.gather(
        _check("database", _database_probe(state)), _check("redis", state.redis.ping)
    )
    checks = found[0] | found[1]
    if all(status == "ok" for status in checks.values()):
        state.has_been_ready = True
        return JSONResponse({"status": "ok", "checks": checks})
    if state.has_been_ready:
        return JSONResponse({"status": "degraded", "checks": checks})
    failing = ", ".join(name for name, status in checks.items() if status != "ok")
    return problem(request, 503, title="Not ready", detail=f"unavailable: {failing}", checks=checks)
