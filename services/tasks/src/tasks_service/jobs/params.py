"""Parameters and dependencies both modes declare the same way."""

from typing import TYPE_CHECKING, Annotated

from servicekit.core.ids import SnowflakeGenerator
from servicekit.web.inputs import id_path
from servicekit.web.state import from_state
from tasks_service.jobs.queue import JobQueue

if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    JobId = int
else:
    JobId = id_path("A job's id")


JobQueueDep = Annotated[JobQueue, from_state(lambda state: state.resources.job_queue)]
IdsDep = Annotated[SnowflakeGenerator, from_state(lambda state: state.ids)]
