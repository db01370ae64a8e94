"""Domain errors of jobs."""

from servicekit.core.errors import Forbidden, NotFound, TooManyRequests


class JobNotFound(NotFound):
    """Also the answer for someone else's job."""

    title = "Job not found"
    type = "urn:problem-type:tasks:job-not-found"


class NotYourReport(Forbidden):
    title = "Not your report"
    type = "urn:problem-type:tasks:not-your-report"


class TooManyJobs(TooManyRequests):
    title = "Too many unfinished jobs"
    type = "urn:problem-type:tasks:too-many-jobs"
