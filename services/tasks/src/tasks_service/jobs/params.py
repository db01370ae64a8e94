"""Parameters and dependencies both modes declare the same way."""

from typing import Annotated

from celery import Celery
from fastapi import Depends, Path, Request

from servicekit.ids import SnowflakeGenerator
from servicekit.schemas import MAX_ID

JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="A job's id")]


# async: a plain def dependency would cost a thread hop per request.
async def _celery(request: Request) -> Celery:
    return request.app.state.celery


async def _ids(request: Request) -> SnowflakeGenerator:
    return request.app.state.ids


CeleryDep = Annotated[Celery, Depends(_celery)]
IdsDep = Annotated[SnowflakeGenerator, Depends(_ids)]
