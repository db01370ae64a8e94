"""Domain errors of jobs."""

from servicekit.errors import Forbidden, NotFound


class JobNotFound(NotFound):
    """Also the answer for someone else's job."""

    title = "Job not found"
    type = "urn:problem-type:tasks:job-not-found"


class NotYourReport(Forbidden):
    title = "Not your report"
    type = "urn:problem-type:tasks:not-your-report"
