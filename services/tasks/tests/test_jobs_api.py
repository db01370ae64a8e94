"""The jobs API: submissions are validated before anything is written or enqueued, only
the submitter sees a job, and a submission while Redis is away is a fast 503 that leaves
no record. (Running the jobs is the worker's; see services/worker.)"""

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from devstack.servers import RedisServer
from servicekit.observability.request_id import REQUEST_ID_HEADER
from tasks_service.jobs.service import MAX_UNFINISHED_JOBS
from testkit.backends import before_any_sql
from testkit.owners import Owner
from testkit.transactions import Sql

QUEUE = "celery"  # Celery's default queue: one Redis list

DIGEST = {"kind": "compute.digest", "params": {"data": "hello", "rounds": 3}}


@pytest.fixture
def queue(broker: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(broker.url)
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)
    client.close()


async def count_jobs(sql: Sql) -> int:
    count: int = await sql("SELECT count(*) FROM jobs")
    return count


async def stored_token(sql: Sql, job_id: str) -> str | None:
    token: str | None = await sql(f"SELECT submitter_token FROM jobs WHERE id = {int(job_id)}")  # noqa: S608
    return token


def sent_messages(queue: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in queue.lrange(QUEUE, 0, -1)]


def call_of(message: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The (args, kwargs) a worker will call the task with (Celery message protocol 2)."""
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return args, kwargs


async def test_a_submission_is_recorded_queued_and_enqueued_once(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    sql: Sql,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me = owner_factory()
    response = await client.post(
        f"{api}/jobs", json=DIGEST, headers=me.headers | {"X-Request-ID": "submit-1"}
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "queued"
    assert response.headers["location"] == f"{api}/jobs/{accepted['id']}"

    [message] = sent_messages(queue)
    assert message["headers"]["id"] == accepted["id"]
    assert message["headers"]["task"] == "compute.digest"
    assert message["headers"][REQUEST_ID_HEADER] == "submit-1"
    assert call_of(message) == ([], {"data": "hello", "rounds": 3})
    # A digest calls no service as its submitter: no token travels or stays.
    assert "submitter_token" not in message["headers"]
    assert await stored_token(sql, accepted["id"]) is None

    job = (await client.get(response.headers["location"], headers=me.headers)).json()
    assert (job["id"], job["kind"], job["status"]) == (accepted["id"], "compute.digest", "queued")
    assert (job["result"], job["error"], job["finished_at"]) == (None, None, None)
    assert await count_jobs(sql) == 1


async def test_only_the_submitter_sees_a_job(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me, other = owner_factory(), owner_factory()
    job_id = (await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)).json()["id"]
    theirs = await client.get(f"{api}/jobs/{job_id}", headers=other.headers)
    missing = await client.get(f"{api}/jobs/{int(job_id) + 1}", headers=me.headers)
    for response in (theirs, missing):
        assert_problem(response, 404)
    assert theirs.json()["title"] == missing.json()["title"]
    assert (await client.get(f"{api}/jobs", headers=other.headers)).json()["items"] == []


async def test_jobs_are_listed_newest_first_across_pages(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner], queue: redis.Redis
) -> None:
    me = owner_factory()
    submitted = [
        (await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)).json()["id"]
        for _ in range(5)
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{api}/jobs", params=params, headers=me.headers)).json()
        seen += [job["id"] for job in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == submitted[::-1]


BAD_SUBMISSIONS = {
    "unknown-kind": {"kind": "counters.flush_item_views", "params": {}},
    "no-kind": {"params": {"data": "x", "rounds": 1}},
    "no-params": {"kind": "compute.digest"},
    "rounds-zero": {"kind": "compute.digest", "params": {"data": "x", "rounds": 0}},
    "rounds-huge": {"kind": "compute.digest", "params": {"data": "x", "rounds": 10**7}},
    "rounds-text": {"kind": "compute.digest", "params": {"data": "x", "rounds": "many"}},
    "data-too-long": {"kind": "compute.digest", "params": {"data": "x" * 10_001, "rounds": 1}},
    "data-with-nul": {"kind": "compute.digest", "params": {"data": "a\x00b", "rounds": 1}},
    "unknown-param": {"kind": "compute.digest", "params": {"data": "x", "rounds": 1, "x": 1}},
    "unknown-field": {**DIGEST, "priority": 9},
    "report-without-user": {"kind": "reports.user_summary", "params": {}},
    "report-user-zero": {"kind": "reports.user_summary", "params": {"user_id": 0}},
    # Strictly typed: nothing is coerced into a user id or a number of rounds.
    "report-user-true": {"kind": "reports.user_summary", "params": {"user_id": True}},
    "report-user-text": {"kind": "reports.user_summary", "params": {"user_id": "1"}},
    "report-user-fraction": {"kind": "reports.user_summary", "params": {"user_id": 1.5}},
    "rounds-fraction": {"kind": "compute.digest", "params": {"data": "x", "rounds": 2.5}},
    "rounds-as-text": {"kind": "compute.digest", "params": {"data": "x", "rounds": "5"}},
    "data-as-number": {"kind": "compute.digest", "params": {"data": 5, "rounds": 1}},
}


@before_any_sql
@pytest.mark.parametrize("body", BAD_SUBMISSIONS.values(), ids=BAD_SUBMISSIONS.keys())
async def test_bad_submissions_are_422_and_nothing_is_written_or_enqueued(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    sql: Sql,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
    body: dict[str, Any],
) -> None:
    response = await client.post(f"{api}/jobs", json=body, headers=owner_factory().headers)
    assert_problem(response, 422)
    assert await count_jobs(sql) == 0
    assert queue.llen(QUEUE) == 0


async def test_a_whole_number_written_with_a_fraction_is_that_integer(
    client: httpx.AsyncClient, api: str, owner_factory: Callable[[], Owner], queue: redis.Redis
) -> None:
    # To JSON Schema, and so to the document, 3.0 is the integer 3: the worker gets 3.
    me = owner_factory()
    digest = {"kind": "compute.digest", "params": {"data": "x", "rounds": 3.0}}
    report = {"kind": "reports.user_summary", "params": {"user_id": float(me.id)}}
    for body in (digest, report):
        response = await client.post(f"{api}/jobs", json=body, headers=me.headers)
        assert response.status_code == 202, response.text

    kwargs = sorted((call_of(message)[1] for message in sent_messages(queue)), key=len)
    assert kwargs == [{"user_id": me.id}, {"data": "x", "rounds": 3}]
    assert [type(value) for call in kwargs for value in call.values()] == [int, str, int]


@before_any_sql
async def test_a_report_about_someone_else_is_403(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    sql: Sql,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me, other = owner_factory(), owner_factory()
    body = {"kind": "reports.user_summary", "params": {"user_id": other.id}}
    assert_problem(await client.post(f"{api}/jobs", json=body, headers=me.headers), 403)
    assert await count_jobs(sql) == 0
    assert queue.llen(QUEUE) == 0


async def test_a_report_carries_the_submitters_token(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    sql: Sql,
) -> None:
    me = owner_factory()
    mine = {"kind": "reports.user_summary", "params": {"user_id": me.id}}
    response = await client.post(f"{api}/jobs", json=mine, headers=me.headers)
    assert response.status_code == 202, response.text

    [message] = sent_messages(queue)
    assert call_of(message) == ([], {"user_id": me.id})
    token = me.headers["Authorization"].removeprefix("Bearer ")
    assert message["headers"]["submitter_token"] == token
    # Kept with the job until it ends, so a re-sent job still has it.
    job_id = response.json()["id"]
    assert await stored_token(sql, job_id) == token


@before_any_sql
async def test_submitting_needs_a_token(
    client: httpx.AsyncClient,
    api: str,
    queue: redis.Redis,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    assert_problem(await client.post(f"{api}/jobs", json=DIGEST), 401)
    assert queue.llen(QUEUE) == 0


async def test_a_submission_while_redis_is_down_is_a_fast_503_without_a_record(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    broker: RedisServer,
    sql: Sql,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me = owner_factory()
    broker.stop()
    try:
        # One connection attempt, never a retry loop (servicekit's test_jobs counts them).
        response = await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)
        problem = assert_problem(response, 503)
        assert problem["title"] == "Job queue unavailable"
        assert await count_jobs(sql) == 0
    finally:
        broker.start()
    retried = await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)
    assert retried.status_code == 202, retried.text


async def enqueued(client: httpx.AsyncClient) -> dict[str, float]:
    """kind -> jobs_enqueued_total, from the app's /metrics."""
    text = (await client.get("/metrics")).text
    return {
        sample.labels["kind"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "jobs_enqueued_total"
    }


async def test_sent_jobs_are_counted_by_kind_and_refused_ones_are_not(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    broker: RedisServer,
) -> None:
    me = owner_factory()
    before = await enqueued(client)
    await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)
    await client.post(f"{api}/jobs", json=BAD_SUBMISSIONS["unknown-kind"], headers=me.headers)
    broker.stop()
    try:
        refused = await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)
    finally:
        broker.start()
    after = await enqueued(client)

    assert refused.status_code == 503
    # Every kind from 0, so a rate over them reads 0 before the first job.
    assert set(before) == {"compute.digest", "reports.user_summary"}
    assert after["compute.digest"] == before["compute.digest"] + 1
    assert after["reports.user_summary"] == before["reports.user_summary"]


async def test_beyond_the_quota_of_unfinished_jobs_a_submission_is_a_429(
    client: httpx.AsyncClient,
    api: str,
    owner_factory: Callable[[], Owner],
    queue: redis.Redis,
    sql: Sql,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me, someone_else = owner_factory(), owner_factory()
    for _ in range(MAX_UNFINISHED_JOBS):
        accepted = await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)
        assert accepted.status_code == 202, accepted.text

    refused = await client.post(f"{api}/jobs", json=DIGEST, headers=me.headers)

    problem = assert_problem(refused, 429)
    assert problem["title"] == "Too many unfinished jobs"
    assert refused.headers["retry-after"] == "10"
    assert await count_jobs(sql) == MAX_UNFINISHED_JOBS
    assert queue.llen(QUEUE) == MAX_UNFINISHED_JOBS
    # The quota is each user's own.
    other = await client.post(f"{api}/jobs", json=DIGEST, headers=someone_else.headers)
    assert other.status_code == 202, other.text
