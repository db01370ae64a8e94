"""The `compute.digest` job's params and their bounds: tasks refuses a submission beyond
them, and the worker refuses a message beyond them (anything that can write to the
broker can send one)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from servicecontracts.job_messages import JobParams, WholeNumber

MAX_DATA_CHARS = 10_000
MAX_ROUNDS = 1_000_000

# Text as sent, line breaks included; only NUL is refused (servicekit.web.inputs.text, the
# rule of every text field, which a contract test holds this to).
DigestData = Annotated[str, StringConstraints(max_length=MAX_DATA_CHARS, pattern=r"^[^\x00]*$")]


class DigestParams(JobParams):
    data: DigestData
    rounds: WholeNumber = Field(ge=1, le=MAX_ROUNDS)
