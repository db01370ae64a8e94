"""Job submissions and job views. Each kind has its own params model, so an unknown kind
or bad params are a 422 before anything is written or enqueued."""

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field

from servicecontracts.digest import DigestParams
from servicecontracts.jobs import DigestKind, JobStatus, UserSummaryKind
from servicecontracts.reports import ReportParams
from servicekit.web.cursors import Cursor, RowId
from servicekit.web.inputs import InputModel

# A job is sent as `kind(**params)`: the params models (servicecontracts.digest and
# .reports) name the worker's task arguments, and the worker validates them again.


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
