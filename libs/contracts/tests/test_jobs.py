"""The kinds of job and the statuses a job moves through fit the table that stores them."""

from typing import Any, get_args

from sqlalchemy import Column, String

from servicecontracts.jobs import DIGEST, UNFINISHED, USER_SUMMARY, JobKind, JobStatus, jobs


def test_unfinished_statuses_are_statuses_and_some_end() -> None:
    statuses = set(get_args(JobStatus))

    assert set(UNFINISHED) < statuses


def length_of(column: Column[Any]) -> int:
    assert isinstance(column.type, String)
    assert column.type.length is not None
    return column.type.length


def test_every_status_fits_its_column() -> None:
    assert max(map(len, get_args(JobStatus))) <= length_of(jobs.c.status)


def test_every_kind_fits_its_column() -> None:
    kinds = get_args(JobKind)

    assert kinds == (DIGEST, USER_SUMMARY)
    assert max(map(len, kinds)) <= length_of(jobs.c.kind)
