"""One request, one trace, across real processes: items calling users, and tasks sending
a job the worker runs, each exporting its spans over OTLP to the stack's receiver. The
request id is on every span, and the trace id in every log line of the request."""

import json
import secrets
import time
from typing import Any

import httpx
import pytest

from testkit.local_stack import LocalStack
from testkit.otlp_receiver import ReceivedSpan

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

MODES = {"async": "/api", "sync": "/sync/api"}
DEMO_LOGIN = {"username": "demo@example.com", "password": "demo-password"}


def server_span(spans: list[ReceivedSpan], service: str) -> ReceivedSpan | None:
    return next((s for s in spans if s.service == service and s.kind == "SERVER"), None)


def trace_of(local_stack: LocalStack, request_id: str, service: str) -> str:
    """The trace id of the server span that served `request_id` at `service`."""

    def served(spans: list[ReceivedSpan]) -> bool:
        return any(
            s.service == service and s.kind == "SERVER" and s.attributes.get("request.id")
            for s in spans
            if s.attributes.get("request.id") == request_id
        )

    spans = local_stack.spans.wait_for(served)
    found = [
        s
        for s in spans
        if s.service == service
        and s.kind == "SERVER"
        and s.attributes.get("request.id") == request_id
    ]
    return found[0].trace_id


def is_http_call(span: ReceivedSpan) -> bool:
    # httpx's instrumentation still writes the older attribute names.
    attributes = span.attributes
    return span.kind == "CLIENT" and (
        "http.request.method" in attributes or "http.method" in attributes
    )


def log_lines(local_stack: LocalStack, request_id: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in local_stack.logs.getvalue().splitlines()
        if line.startswith("{") and f'"request_id":"{request_id}"' in line
    ]


def assert_one_request_id(spans: list[ReceivedSpan], request_id: str) -> None:
    missing = [
        f"{s.service}: {s.name}" for s in spans if s.attributes.get("request.id") != request_id
    ]
    assert missing == [], f"spans without request id {request_id}: {missing}"


def assert_one_tree(spans: list[ReceivedSpan]) -> None:
    """Every span's parent is in the trace, except the one root."""
    ids = {s.span_id for s in spans}
    roots = [s for s in spans if s.parent_span_id not in ids]
    assert len(roots) == 1, [f"{s.service}: {s.name}" for s in roots]


@pytest.mark.parametrize("mode", list(MODES))
def test_expand_owner_is_one_trace_through_items_and_users(
    local_stack: LocalStack, mode: str
) -> None:
    api = MODES[mode]
    request_id = f"trace-items-{mode}-{secrets.token_hex(4)}"
    with httpx.Client(base_url=local_stack.gateway_url, timeout=10) as client:
        page = client.get(
            f"{api}/items",
            params={"expand": "owner", "limit": 3},
            headers={"X-Request-ID": request_id},
        )
    assert page.status_code == 200, page.text
    assert page.headers["x-request-id"] == request_id
    assert all(item["owner"] for item in page.json()["items"])

    trace_id = trace_of(local_stack, request_id, "items")
    spans = local_stack.spans.wait_for(
        lambda found: server_span(found, "users") is not None, trace_id=trace_id
    )

    items = server_span(spans, "items")
    assert items is not None
    assert items.name == f"GET {api}/items"
    calls = [s for s in spans if s.service == "items" and is_http_call(s)]
    users = [s for s in spans if s.service == "users" and s.kind == "SERVER"]
    assert calls, [(s.service, s.name, s.kind, s.attributes) for s in spans]
    assert {s.parent_span_id for s in users} <= {s.span_id for s in calls}
    assert {s.name for s in users} <= {"GET /api/users/{user_id}", "GET /sync/api/users/{user_id}"}
    assert any("db.system" in s.attributes for s in spans if s.service == "items")
    assert_one_request_id(spans, request_id)
    assert_one_tree(spans)
    # Access lines go out in batches, at least every AccessLog.FLUSH_SECONDS.
    deadline = time.monotonic() + 30
    while True:
        lines = log_lines(local_stack, request_id)
        services = {line["service"] for line in lines if line.get("logger") == "access"}
        if {"items", "users"} <= services:
            break
        assert time.monotonic() < deadline, f"access lines only from {services}"
        time.sleep(0.1)
    assert {line.get("trace_id") for line in lines if line["service"] != "gateway"} == {trace_id}


@pytest.mark.parametrize("mode", list(MODES))
def test_a_jobs_spans_join_the_trace_of_the_request_that_sent_it(
    local_stack: LocalStack, mode: str
) -> None:
    api = MODES[mode]
    request_id = f"trace-job-{mode}-{secrets.token_hex(4)}"
    with httpx.Client(base_url=local_stack.gateway_url, timeout=10) as client:
        login = client.post(f"{api}/auth/token", data=DEMO_LOGIN)
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = client.get(f"{api}/users/me", headers=auth).json()
        submitted = client.post(
            f"{api}/jobs",
            json={"kind": "reports.user_summary", "params": {"user_id": me["id"]}},
            headers={**auth, "X-Request-ID": request_id},
        )
        assert submitted.status_code == 202, submitted.text
        deadline = time.monotonic() + 60
        while (job := client.get(submitted.headers["location"], headers=auth).json())[
            "status"
        ] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
    assert job["status"] == "succeeded", job

    trace_id = trace_of(local_stack, request_id, "tasks")

    def complete(spans: list[ReceivedSpan]) -> bool:
        # The report's calls: the submission is a tasks SERVER span of its own.
        called = {s.service for s in spans if s.kind == "SERVER" and s.name != f"POST {api}/jobs"}
        return (
            any(s.service == "worker" and s.kind == "CONSUMER" for s in spans)
            and {
                "tasks",
                "users",
                "items",
            }
            <= called
        )

    spans = local_stack.spans.wait_for(complete, trace_id=trace_id)

    (submit,) = [s for s in spans if s.service == "tasks" and s.name == f"POST {api}/jobs"]
    (published,) = [s for s in spans if s.service == "tasks" and s.kind == "PRODUCER"]
    (run,) = [s for s in spans if s.service == "worker" and s.kind == "CONSUMER"]
    assert "reports.user_summary" in run.name
    assert published.parent_span_id == submit.span_id
    assert run.parent_span_id == published.span_id
    # The report's calls, as the submitter: summaries from items and tasks, the profile.
    reads = [s for s in spans if s.kind == "SERVER" and s.span_id != submit.span_id]
    assert {s.service for s in reads} >= {"users", "items", "tasks"}
    assert_one_request_id(spans, request_id)
    assert_one_tree(spans)
    worker_lines = [
        line for line in log_lines(local_stack, request_id) if line["service"] == "worker"
    ]
    assert worker_lines
    assert {line.get("trace_id") for line in worker_lines} == {trace_id}
