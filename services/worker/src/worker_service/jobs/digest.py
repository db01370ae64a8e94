"""CPU-bound work: an iterated SHA-256, the worker's stand-in for a heavy computation."""

import hashlib

from pydantic import ValidationError

from servicecontracts.digest import MAX_DATA_CHARS, MAX_ROUNDS, DigestParams
from worker_service.jobs.failures import JobFailed

# What the submitter reads of a refused message, by the param at fault.
_REFUSED = {
    "data": f"data must be a string of at most {MAX_DATA_CHARS} characters, without NUL",
    "rounds": f"rounds must be an integer within 1..{MAX_ROUNDS}",
}


def digest(data: object, rounds: object) -> dict[str, object]:
    """SHA-256 of `data`, then of each digest in turn, `rounds` times in all.

    The params are validated here with the model tasks validated the submission with
    (servicecontracts.digest): a job message can come from anything that can write to
    the broker, and an unbounded job would hold a worker process until its hard time
    limit kills it.
    """
    try:
        params = DigestParams.model_validate({"data": data, "rounds": rounds})
    except ValidationError as error:
        raise JobFailed(_REFUSED[str(error.errors()[0]["loc"][0])]) from None
    value = hashlib.sha256(params.data.encode()).digest()
    for _ in range(params.rounds - 1):
        value = hashlib.sha256(value).digest()
    return {"digest": value.hex(), "rounds": params.rounds}
