"""Job submissions and job views. Each kind has its own params model, so an unknown kind
or bad params are a 422 before anything is written or enqueued."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from servicecontracts import digest
from servicecontracts.jobs import DigestKind, JobStatus, UserSummaryKind
from servicekit.cursors import Cursor, RowId
from servicekit.schemas import MAX_ID, InputModel, text


class JobParams(InputModel):
    """A job's arguments, typed strictly: `"1"`, `1.5` or `true` is no user id and `"5"`
    no number of rounds (the worker would get them as sent)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _whole(value: object) -> object:
    # JSON has one kind of number: to JSON Schema, and so to the document, 1.0 is the
    # integer 1. The worker gets it as the int it is.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# An integer however JSON writes it (1 or 1.0); never a string, a boolean or 1.5.
WholeNumber = Annotated[int, BeforeValidator(_whole)]


class ReportParams(JobParams):
    user_id: WholeNumber = Field(ge=1, le=MAX_ID)


if TYPE_CHECKING:  # mypy reads the alias; pydantic and FastAPI read the constraints
    DigestData = str
else:
    DigestData = text(digest.MAX_DATA_CHARS)


class DigestParams(JobParams):
    data: DigestData
    rounds: WholeNumber = Field(ge=1, le=digest.MAX_ROUNDS)


# A job is sent as `kind(**params)`: the params models name the worker's task arguments.


class ReportJob(InputModel):
    kind: UserSummaryKind
    params: ReportParams
    # The report reads the submitter's own task counts as the submitter, with the
    # submitter's token (which expires as it would anyway).
    acts_as_submitter: ClassVar[bool] = True


class DigestJob(InputModel):
    kind: DigestKind
    params: DigestParams
    acts_as_submitter: ClassVar[bool] = False


JobSubmission = Annotated[ReportJob | DigestJob, Field(discriminator="kind")]


class JobRead(BaseModel):
    # A string: Snowflake ids exceed the 2**53 that JavaScript numbers hold exactly.
    id: str
    kind: str
    status: JobStatus
    result: Any | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class JobAccepted(BaseModel):
    id: str
    status: JobStatus


class JobCursor(Cursor, listing="jobs"):
    """Where a page of the caller's jobs, newest first, ends."""

    before_id: RowId = Field(alias="b")
