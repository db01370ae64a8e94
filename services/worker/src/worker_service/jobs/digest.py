"""CPU-bound work: an iterated SHA-256, the worker's stand-in for a heavy computation."""

import hashlib

from servicecontracts.digest import MAX_DATA_CHARS, MAX_ROUNDS
from worker_service.jobs.failures import JobFailed


def digest(data: str, rounds: int) -> dict[str, object]:
    """SHA-256 of `data`, then of each digest in turn, `rounds` times in all.

    The bounds (servicecontracts.digest) are checked here as well as by the submitter:
    a job message can come from anything that can write to the broker, and an unbounded
    job would hold a worker process until its hard time limit kills it.
    """
    if not isinstance(data, str) or len(data) > MAX_DATA_CHARS:
        raise JobFailed(f"data must be a string of at most {MAX_DATA_CHARS} characters")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise JobFailed(f"rounds must be an integer within 1..{MAX_ROUNDS}")
    value = hashlib.sha256(data.encode()).digest()
    for _ in range(rounds - 1):
        value = hashlib.sha256(value).digest()
    return {"digest": value.hex(), "rounds": rounds}
