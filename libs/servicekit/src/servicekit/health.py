"""`/healthz` answers from memory; `/readyz` checks the database and Redis."""

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from servicekit.problems import problem

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 1.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests. No I/O, so a slow database never kills it."""
    return {"status": "ok"}


async def _check(name: str, probe) -> tuple[str, str]:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            await probe()
    except Exception as error:
        logger.warning("readiness check %s failed: %r", name, error)
        return name, "unavailable"
    return name, "ok"


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database and Redis answer within a second."""
    state = request.app.state
    checks = dict(
        await asyncio.gather(_check("database", state.db.ping), _check("redis", state.redis.ping))
    )
    if all(status == "ok" for status in checks.values()):
        return JSONResponse({"status": "ok", "checks": checks})
    failing = ", ".join(name for name, status in checks.items() if status != "ok")
    return problem(request, 503, title="Not ready", detail=f"unavailable: {failing}", checks=checks)
