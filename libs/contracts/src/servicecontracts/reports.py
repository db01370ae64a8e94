"""The `reports.user_summary` job: its params, and the summaries it reads from items and
tasks (the profile it reads from users is profiles.PublicProfile).

items and tasks answer their summary endpoints with these models, and the report parses
their answers with the same ones.
"""

from pydantic import BaseModel, Field

from servicecontracts.job_messages import JobParams, WholeNumber
from servicecontracts.storage import MAX_ID


class ReportParams(JobParams):
    user_id: WholeNumber = Field(ge=1, le=MAX_ID)


class OwnerSummary(BaseModel):
    """One owner's items and their views, as stored (views flushed every few seconds)."""

    owner_id: int
    items: int
    views: int


# One user's open and done tasks. No docstring: it would be the schema's description in
# tasks' OpenAPI document, which has none.
class TaskSummary(BaseModel):
    open: int
    done: int
