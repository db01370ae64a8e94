"""The jobs table (servicecontracts.jobs) in tasks' metadata, and the submitters' lock rows
of the job quota."""

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from servicecontracts.jobs import jobs
from tasks_service.models import Base

# The worker writes this table too: its one declaration is the contract's, copied into
# tasks' metadata so that migrations see it beside tasks' other tables. Written with
# Core statements only: nothing here loads a job as an object.
jobs_table = jobs.to_metadata(Base.metadata)


class JobSubmitter(Base):
    """A row per user who submitted a job, locked by each submission while it counts the
    user's unfinished jobs: parallel submissions of one user take turns, so none of them
    slips past the quota on a count that another is about to change."""

    __tablename__ = "job_submitters"

    owner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)

    __table_args__ = ({"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},)
