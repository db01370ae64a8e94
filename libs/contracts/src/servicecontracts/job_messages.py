"""What a job's message carries: tasks sends it, the worker runs it (`kind(**params)`).

The message names the Celery task of its kind and carries the job's params as that
task's keyword arguments, under the job's id as the task id. Each kind's params are one
model (digest.DigestParams, reports.ReportParams): tasks validates a submission with it,
and the worker validates a message with it again, since anything that can write to the
broker can send one.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

# The header that carries the submitter's access token, for a job that calls other
# services as its submitter (the request id travels in the header of
# servicekit.observability.request_id).
SUBMITTER_TOKEN_HEADER = "submitter_token"  # noqa: S105 - a header name


@dataclass(frozen=True)
class JobMessage:
    """What runs a job: the task named `kind`, called as `kind(**params)`, under the
    job's id (which is also the Celery task id)."""

    job_id: int | str
    kind: str
    params: Mapping[str, object]
    # For a job that calls other services as its submitter.
    submitter_token: str | None = field(default=None, repr=False)


class JobParams(BaseModel):
    """A job's arguments, typed strictly: `"1"`, `1.5` or `true` is no user id and `"5"`
    no number of rounds (the worker would get them as sent). An unknown one is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _whole(value: object) -> object:
    # JSON has one kind of number: to JSON Schema, and so to the document, 1.0 is the
    # integer 1. The worker gets it as the int it is.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# An integer however JSON writes it (1 or 1.0); never a string, a boolean or 1.5.
WholeNumber = Annotated[int, BeforeValidator(_whole)]
