"""compute.digest as a function: the job has no side effects to observe elsewhere."""

import hashlib
from typing import Any

import pytest

from servicecontracts.digest import MAX_DATA_CHARS, MAX_ROUNDS
from worker_service.jobs.digest import digest
from worker_service.jobs.failures import JobFailed


def test_one_round_is_sha256_of_the_data() -> None:
    assert digest("hello", 1) == {"digest": hashlib.sha256(b"hello").hexdigest(), "rounds": 1}


def test_each_round_hashes_the_previous_digest() -> None:
    expected = hashlib.sha256("héllo".encode()).digest()  # UTF-8
    for _ in range(2):
        expected = hashlib.sha256(expected).digest()
    assert digest("héllo", 3) == {"digest": expected.hex(), "rounds": 3}


def test_largest_input_is_accepted() -> None:
    result = digest("x" * MAX_DATA_CHARS, 10)
    assert result["rounds"] == 10
    assert len(str(result["digest"])) == 64


@pytest.mark.parametrize(
    ("data", "rounds"),
    [
        ("x" * (MAX_DATA_CHARS + 1), 1),
        ("x", 0),
        ("x", -1),
        ("x", MAX_ROUNDS + 1),
        ("x", True),
        ("x", 1.5),
        ("x", "10"),
        (None, 1),
        (b"x", 1),
    ],
)
def test_out_of_bounds_input_is_refused(data: Any, rounds: Any) -> None:
    with pytest.raises(JobFailed, match="must be"):
        digest(data, rounds)
