"""Parameters and dependencies both modes declare the same way."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from servicekit.ids import SnowflakeGenerator
from servicekit.schemas import id_path
from tasks_service.jobs.queue import JobQueue

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    JobId = int
else:
    JobId = id_path("A job's id")


# async: a plain def dependency would cost a thread hop per request.
async def _job_queue(request: Request) -> JobQueue:
    return request.app.state.job_queue


async def _ids(request: Request) -> SnowflakeGenerator:
    return request.app.state.ids


JobQueueDep = Annotated[JobQueue, Depends(_job_queue)]
IdsDep = Annotated[SnowflakeGenerator, Depends(_ids)]
