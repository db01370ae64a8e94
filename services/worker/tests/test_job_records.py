"""Job records on both databases: every transition is guarded, so however often a job
is delivered, it runs only while unfinished and its outcome is stored once."""

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import redis

from servicecontracts.job_messages import JobMessage
from servicekit.db.models import utcnow
from worker_service.job_records import MISSING, RUN, JobRecords
from worker_service.lost_jobs import BROKER_MARK_KEY, prune_ended_jobs, resend_lost_jobs

if TYPE_CHECKING:
    from .conftest import JobTable

DIGEST = ("compute.digest", {"data": "x", "rounds": 1})


@pytest.fixture
def records(any_job_table: "JobTable") -> JobRecords:
    return JobRecords(any_job_table.engine, max_attempts=3)


def test_a_job_runs_once_and_keeps_its_first_outcome(
    any_job_table: "JobTable", records: JobRecords
) -> None:
    job_id = any_job_table.add(*DIGEST, token="secret-token")
    assert records.start(job_id) == RUN
    records.succeed(job_id, {"digest": "ab"})
    records.fail(job_id, "a late failure")  # a second delivery that went wrong

    job = any_job_table.get(job_id)
    assert (job["status"], job["result"], job["error"]) == ("succeeded", {"digest": "ab"}, None)
    assert job["attempts"] == 1
    assert job["started_at"] <= job["finished_at"]
    assert job["submitter_token"] is None  # not kept once the job has ended
    assert records.start(job_id) == "succeeded"
    assert any_job_table.get(job_id)["attempts"] == 1


def test_a_delivery_of_a_dead_worker_starts_the_running_job_again(
    any_job_table: "JobTable", records: JobRecords
) -> None:
    job_id = any_job_table.add(*DIGEST)
    assert records.start(job_id) == RUN
    assert records.start(job_id) == RUN  # redelivered: the first worker died
    assert any_job_table.get(job_id)["attempts"] == 2


def test_a_job_started_too_often_is_failed(any_job_table: "JobTable", records: JobRecords) -> None:
    job_id = any_job_table.add(*DIGEST)
    for _ in range(3):
        assert records.start(job_id) == RUN
    assert records.start(job_id) == "failed"
    job = any_job_table.get(job_id)
    assert job["status"] == "failed"
    assert job["error"] == "the job was started 3 times and never ended"


def test_a_missing_record_is_reported(records: JobRecords) -> None:
    assert records.start(1) == MISSING


def test_a_long_error_is_cut_short(any_job_table: "JobTable", records: JobRecords) -> None:
    job_id = any_job_table.add(*DIGEST)
    records.start(job_id)
    records.fail(job_id, "x" * 2000)
    assert len(any_job_table.get(job_id)["error"]) == 500


def test_unfinished_jobs_and_stalled_ones(any_job_table: "JobTable", records: JobRecords) -> None:
    queued = any_job_table.add(*DIGEST, request_id="req-1", token="t")
    stalled = any_job_table.add(*DIGEST, status="running", started_at=utcnow() - timedelta(hours=1))
    running = any_job_table.add(*DIGEST, status="running", started_at=utcnow())
    ended = any_job_table.add(*DIGEST, status="succeeded")

    everything = {job.message.job_id: job for job in records.unfinished()}
    assert {queued, stalled, running} <= set(everything)
    assert ended not in everything
    assert everything[queued].request_id == "req-1"
    assert everything[queued].message.submitter_token == "t"
    assert everything[queued].message.params == DIGEST[1]

    before = utcnow() - timedelta(minutes=5)
    assert [job.message.job_id for job in records.unfinished(started_before=before)] == [stalled]


def test_ended_jobs_past_retention_are_pruned(
    any_job_table: "JobTable", records: JobRecords
) -> None:
    old = any_job_table.add(*DIGEST, status="failed", finished_at=utcnow() - timedelta(days=8))
    recent = any_job_table.add(*DIGEST, status="succeeded", finished_at=utcnow())
    unfinished = any_job_table.add(*DIGEST, created_at=utcnow() - timedelta(days=30))

    assert prune_ended_jobs(records, retention=timedelta(days=7)) == 1
    with pytest.raises(Exception, match="No row"):
        any_job_table.get(old)
    assert any_job_table.get(recent)["status"] == "succeeded"
    assert any_job_table.get(unfinished)["status"] == "queued"


def test_an_emptied_broker_gets_every_unfinished_job_again(
    any_job_table: "JobTable", records: JobRecords, broker_url: str
) -> None:
    any_job_table.end_unfinished()
    queued = any_job_table.add(*DIGEST)
    running = any_job_table.add(*DIGEST, status="running", started_at=utcnow())
    sent: list[tuple[int | str, str | None]] = []

    def send(message: JobMessage, request_id: str | None) -> None:
        sent.append((message.job_id, request_id))

    broker = redis.Redis.from_url(broker_url)
    stall = timedelta(minutes=5)
    # No mark yet: whatever Redis held is gone.
    assert resend_lost_jobs(records, broker, send, stalled_after=stall) == 2
    assert sorted(job for job, _ in sent) == [queued, running]
    assert broker.exists(BROKER_MARK_KEY)

    # The mark is there: only jobs running past the time limit are sent again.
    sent.clear()
    assert resend_lost_jobs(records, broker, send, stalled_after=stall) == 0
    stalled = any_job_table.add(*DIGEST, status="running", started_at=utcnow() - stall * 2)
    assert resend_lost_jobs(records, broker, send, stalled_after=stall) == 1
    assert sent == [(stalled, None)]
    broker.close()
