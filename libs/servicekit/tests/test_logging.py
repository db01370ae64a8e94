"""One JSON object per line on stdout, whoever logs: stdlib, structlog, uvicorn, a request."""

import asyncio
import contextvars
import io
import json
import logging
import logging.config
import re
import select
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import structlog
import uvicorn
from fastapi import APIRouter, FastAPI
from opentelemetry.trace import SpanContext

from devstack.ports import free_port
from servicekit.app import create_app
from servicekit.core.settings import ServiceSettings
from servicekit.observability.logging import AccessLog, configure_logging

if TYPE_CHECKING:
    from .conftest import Serve

router = APIRouter()


@router.get("/chatty")
async def log_from_a_handler() -> dict[str, Any]:
    logging.getLogger("probe.handlers").info("inside the async handler")
    return {}


@router.get("/sync/chatty")
def log_from_a_thread() -> dict[str, Any]:
    structlog.get_logger("probe.handlers").info("inside the sync handler", items=3)
    return {}


@router.get("/items/{item_id}/parts")
async def list_parts(item_id: int) -> dict[str, Any]:
    return {"item": item_id}


@router.get("/boom")
async def explode() -> dict[str, Any]:
    raise RuntimeError("kaboom-detail")


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line of the output, each of which must be a JSON object."""
    lines = [json.loads(line) for line in output.splitlines() if line]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def outside_any_request(function: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Runs in an empty context: a request id left by an earlier in-process request is unset."""
    contextvars.Context().run(function, *args, **kwargs)


def assert_shape(line: dict[str, Any]) -> None:
    assert {"time", "level", "service", "logger", "message"} <= line.keys()
    assert line["service"] == "probe"
    logged_at = datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    assert logged_at.utcoffset() == timedelta(0)


def test_stdlib_records_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("probe")
    logger = logging.getLogger("probe.module")
    outside_any_request(logger.info, "user %s logged in", 42)
    outside_any_request(logger.warning, 'two\nlines\r\nand a fake {"level": "error"}')
    outside_any_request(logger.debug, "below the level")

    first, second = json_lines(capsys.readouterr().out)

    assert_shape(first)
    assert first["level"] == "info"
    assert first["logger"] == "probe.module"
    assert first["message"] == "user 42 logged in"
    assert "request_id" not in first
    assert second["level"] == "warning"
    assert second["message"] == 'two\nlines\r\nand a fake {"level": "error"}'


def test_the_level_is_a_setting(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("probe", "debug")
    outside_any_request(logging.getLogger("probe.module").debug, "now shown")
    (line,) = json_lines(capsys.readouterr().out)
    assert line["level"] == "debug"


def test_structlog_records_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("probe")
    outside_any_request(structlog.get_logger("probe.jobs").info, "job done", job_id=7)

    (line,) = json_lines(capsys.readouterr().out)

    assert_shape(line)
    assert line["message"] == "job done"
    assert line["job_id"] == 7
    assert line["logger"] == "probe.jobs"


def test_exceptions_are_inside_the_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("probe")
    try:
        raise ValueError("bad value")
    except ValueError:
        outside_any_request(logging.getLogger("probe.module").exception, "it failed")

    (line,) = json_lines(capsys.readouterr().out)

    assert line["level"] == "error"
    assert "ValueError: bad value" in line["exception"]


def test_uvicorn_loggers_are_taken_over(capsys: pytest.CaptureFixture[str]) -> None:
    # What uvicorn does before it imports the app, whose create_app configures logging.
    logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
    configure_logging("probe")
    access = logging.getLogger("uvicorn.access")
    outside_any_request(
        access.info, '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/x?y=1", "1.1", 200
    )
    outside_any_request(logging.getLogger("uvicorn.error").info, "Application startup complete.")

    (error_line,) = json_lines(capsys.readouterr().out)

    assert_shape(error_line)
    assert error_line["message"] == "Application startup complete."
    # servicekit writes the access lines; uvicorn's would repeat them without the route.
    # uvicorn asks this once per connection; False means it makes no record at all.
    assert not access.hasHandlers()


@pytest.mark.parametrize(
    ("path", "route", "mode"),
    [
        ("/chatty", "/chatty", "async"),
        ("/sync/chatty", "/sync/chatty", "sync"),
        ("/items/42/parts", "/items/{item_id}/parts", "async"),
    ],
)
async def test_one_access_line_per_request_with_route_status_duration_and_ids(
    serve: "Serve", capsys: pytest.CaptureFixture[str], path: str, route: str, mode: str
) -> None:
    async with serve([router]) as client:
        response = await client.get(path, params={"q": "a-secret-search"})
        await client.get("/healthz")

    lines = json_lines(capsys.readouterr().out)
    (line,) = [line for line in lines if line["logger"] == "access"]

    assert_shape(line)
    assert response.status_code == 200
    assert line["message"] == f"GET {route} 200"
    assert (line["method"], line["route"], line["status"], line["mode"]) == (
        "GET",
        route,
        200,
        mode,
    )
    assert 0 < line["duration_ms"] < 60_000
    assert line["request_id"] == response.headers["x-request-id"]
    assert len(line["trace_id"]) == 32
    assert len(line["span_id"]) == 16
    assert line["path"] == path
    # Query strings are never logged (the test's own client, httpx, logs its URLs).
    assert all("a-secret-search" not in str(line) for line in lines if line["logger"] != "httpx")


async def test_an_unknown_path_is_logged_as_unmatched_with_its_path(
    serve: "Serve", capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve([router]) as client:
        # A decoded newline stays inside the JSON string: no forged second line.
        await client.get("/no/such/thing%0A", headers={"X-Request-ID": "r-1"})

    (line,) = [line for line in json_lines(capsys.readouterr().out) if line["logger"] == "access"]
    assert (line["route"], line["status"], line["path"]) == ("unmatched", 404, "/no/such/thing\n")


async def test_access_lines_can_be_turned_off(
    serve: "Serve", capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve([router], access_log=False) as client:
        response = await client.get("/chatty")

    lines = json_lines(capsys.readouterr().out)
    assert response.status_code == 200
    assert [line for line in lines if line["logger"] == "access"] == []
    assert [line["message"] for line in lines if line["logger"] == "probe.handlers"] == [
        "inside the async handler"
    ]


def test_sqlalchemy_logs_warnings_only(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("probe", "debug")
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    outside_any_request(engine_logger.info, "SELECT secret FROM users")
    outside_any_request(engine_logger.warning, "pool overflow")

    (line,) = json_lines(capsys.readouterr().out)

    assert logging.getLogger("sqlalchemy").level == logging.WARNING
    assert line["message"] == "pool overflow"


@pytest.mark.parametrize(
    ("path", "message"),
    [("/chatty", "inside the async handler"), ("/sync/chatty", "inside the sync handler")],
)
async def test_records_of_a_request_carry_its_id(
    serve: "Serve", capsys: pytest.CaptureFixture[str], path: str, message: str
) -> None:
    async with serve([router]) as client:
        kept = await client.get(path, headers={"X-Request-ID": "from-the-gateway"})
        made = await client.get(path)

    lines = [line for line in json_lines(capsys.readouterr().out) if line["message"] == message]

    expected = ["from-the-gateway", made.headers["x-request-id"]]
    assert [line["request_id"] for line in lines] == expected
    assert kept.headers["x-request-id"] == "from-the-gateway"
    for line in lines:
        assert_shape(line)


async def test_an_unhandled_error_is_logged_once_with_the_request_id(
    serve: "Serve", capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve([router], raise_app_exceptions=False) as client:
        response = await client.get("/boom")

    lines = json_lines(capsys.readouterr().out)
    tracebacks = [line for line in lines if "kaboom-detail" in line.get("exception", "")]

    assert response.status_code == 500
    assert "kaboom-detail" not in response.text
    (logged,) = tracebacks
    assert logged["level"] == "error"
    assert logged["request_id"] == response.headers["x-request-id"]


class ThreadedUvicorn:
    """A real uvicorn server in a thread: it configures its logging first, then makes the
    app through the factory, the order `uvicorn pkg.main:app` follows."""

    def __init__(self, factory: Callable[[], FastAPI]) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            factory, factory=True, host="127.0.0.1", port=self.port, lifespan="on", loop="asyncio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def __aenter__(self) -> str:
        self.thread.start()
        async with asyncio.timeout(20):
            while not self.server.started:
                await asyncio.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    async def __aexit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        await asyncio.to_thread(self.thread.join, 20)
        assert not self.thread.is_alive()


async def test_a_real_uvicorn_logs_json_lines_with_request_ids(
    server_urls: dict[str, str],
    service_settings: Callable[..., ServiceSettings],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = service_settings(
        service_name="probe",
        database_url=server_urls["postgres"],
        redis_url=server_urls["redis"],
        worker_id=6,
    )
    async with (
        ThreadedUvicorn(lambda: create_app(settings, [router])) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        ok = await client.get("/chatty", headers={"X-Request-ID": "edge-1"})
        failed = await client.get("/boom", headers={"X-Request-ID": "edge-2"})

    lines = json_lines(capsys.readouterr().out)

    assert ok.status_code == 200
    assert failed.status_code == 500
    access = [line for line in lines if line["logger"] == "access"]
    assert [line.get("request_id") for line in access] == ["edge-1", "edge-2"]
    assert [(line["route"], line["status"]) for line in access] == [
        ("/chatty", 200),
        ("/boom", 500),
    ]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    for line in lines:
        assert_shape(line)
    # The 500 handler logs the traceback with the request id; uvicorn's copy is dropped.
    tracebacks = [line for line in lines if "kaboom-detail" in line.get("exception", "")]
    assert [line["request_id"] for line in tracebacks] == ["edge-2"]
    assert not [line for line in lines if "Exception in ASGI" in line["message"]]


class RecordedWrites(io.StringIO):
    """A stream that remembers each write: what a pipe would receive, call by call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def write_access_lines(log: AccessLog, count: int) -> None:
    for number in range(count):
        log.write(
            method="GET",
            route="/x",
            status=200,
            seconds=0.001,
            mode="async",
            path=f"/x/{number}",
            span=None,
        )


def test_an_access_line_carries_the_ids_of_the_span_it_is_given_and_the_time_in_utc() -> None:
    stream = RecordedWrites()
    log = AccessLog("probe", stream)
    span = SpanContext(trace_id=0xABC, span_id=0x12, is_remote=False)

    before = datetime.now(UTC)
    log.write(
        method="GET", route="/x", status=200, seconds=0.001, mode="async", path="/x", span=span
    )
    log.flush()
    after = datetime.now(UTC)

    line = json.loads(stream.getvalue())
    assert (line["trace_id"], line["span_id"]) == (f"{0xABC:032x}", f"{0x12:016x}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", line["time"])
    logged_at = datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    assert before - timedelta(microseconds=1) <= logged_at <= after


def test_access_lines_go_out_whole_in_batches_of_at_most_pipe_buf() -> None:
    stream = RecordedWrites()
    log = AccessLog("probe", stream)

    write_access_lines(log, 100)
    log.flush()

    # Fewer writes than lines, each a run of whole lines that a pipe takes atomically.
    assert 1 < len(stream.writes) < 100
    assert all(len(batch.encode()) <= select.PIPE_BUF for batch in stream.writes)
    assert all(batch.endswith("\n") for batch in stream.writes)
    paths = [json.loads(line)["path"] for line in stream.getvalue().splitlines()]
    assert paths == [f"/x/{number}" for number in range(100)]


async def test_a_pending_access_line_is_flushed_by_the_running_log() -> None:
    stream = RecordedWrites()
    log = AccessLog("probe", stream)
    flushing = asyncio.create_task(log.run())
    try:
        write_access_lines(log, 1)
        assert stream.writes == []  # held for its batch
        deadline = time.monotonic() + 30
        while not stream.writes:
            assert time.monotonic() < deadline, "the access line was never flushed"
            await asyncio.sleep(0.05)
    finally:
        flushing.cancel()
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line)["path"] == "/x/0"
