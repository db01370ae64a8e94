"""The one exception a job raises to say how it failed."""


class JobFailed(Exception):
    """A job that cannot succeed however often it is tried. Its message is what the
    submitter reads as the job's error: short, and free of internals."""
