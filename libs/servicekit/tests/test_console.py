"""Console lines: what LOG_FORMAT chooses, and how one event reads on a terminal."""

import io
import re
from datetime import datetime

import pytest

from servicekit.core.console import ConsoleLines, wants_colour, wants_console
from testkit.terminal import Terminal

ANSI = re.compile(r"\033\[[0-9;]*m")
EVENT = {
    "time": "2026-12-07T15:34:00.123456Z",
    "level": "warning",
    "service": "users",
    "logger": "users_service.login_limits",
    "request_id": "388348151852810240",
    "trace_id": "0af7651916cd43dd8448eb211c80319c",
    "message": "login attempts of 10.0.0.7 over the limit",
    "limit": "60/minute",
}


def local_clock(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def test_a_line_holds_time_service_level_message_fields_and_request_id() -> None:
    line = ConsoleLines(colour=False).render(EVENT)

    assert line == (
        f"{local_clock(EVENT['time'])} users    WARN  login attempts of 10.0.0.7 over the"
        " limit  limit=60/minute  req=388348151852810240"
    )


def test_an_access_line_shows_its_duration_not_its_fields_again() -> None:
    access = {
        "time": "2026-12-07T15:34:00.5Z",
        "level": "info",
        "logger": "access",
        "service": "items",
        "request_id": "7",
        "message": "GET /api/items/{item_id} 200",
        "method": "GET",
        "route": "/api/items/{item_id}",
        "status": 200,
        "duration_ms": 3.14159,
    }
    nginx = {"logger": "access", "service": "gateway", "message": "GET /x 404", "duration_s": 0.002}
    lines = ConsoleLines(colour=False)

    assert lines.render(access).endswith("INFO  GET /api/items/{item_id} 200  3.1 ms  req=7")
    assert lines.render(nginx).endswith("gateway  INFO  GET /x 404  2.0 ms")


def test_the_service_comes_from_the_caller_when_the_event_has_none() -> None:
    prometheus = {"time": "2026-12-07T15:34:00Z", "level": "WARN", "msg": "scrape failed"}

    line = ConsoleLines(colour=False).render(prometheus, "prometheus")

    assert line.endswith("prometheus WARN  scrape failed")


def test_a_traceback_follows_on_indented_lines() -> None:
    event = EVENT | {"level": "error", "exception": "Traceback:\n  File x\nKeyError: 'a'"}

    first, *rest = ConsoleLines(colour=False).render(event).split("\n")

    assert "ERROR" in first
    assert rest == ["    Traceback:", "      File x", "    KeyError: 'a'"]


@pytest.mark.parametrize(
    "hostile",
    ["two\nlines", "carriage\rreturn", "\033[2Jcleared", "\033]0;title\007", "\x9b31mred"],
    ids=["newline", "carriage-return", "clear-screen", "window-title", "c1-csi"],
)
def test_control_characters_are_shown_escaped_never_sent_to_the_terminal(hostile: str) -> None:
    event = EVENT | {"message": hostile, "request_id": hostile, "limit": hostile}

    line = ConsoleLines(colour=False).render(event)

    assert "\n" not in line
    assert "\r" not in line
    assert not any(0x80 <= ord(char) < 0xA0 or char in "\033\007" for char in line)


def test_colours_mark_level_and_service_and_leave_the_text_alone() -> None:
    plain = ConsoleLines(colour=False).render(EVENT)
    coloured = ConsoleLines(colour=True).render(EVENT)

    assert "\033[33mWARN " in coloured  # a warning in yellow
    assert ANSI.sub("", coloured) == plain


def test_auto_chooses_console_lines_on_a_terminal_and_json_elsewhere() -> None:
    with Terminal() as terminal, terminal.stream() as screen:
        assert wants_console("auto", screen)
        assert not wants_console("json", screen)
        assert wants_colour(screen, {"TERM": "xterm-256color"})
        assert not wants_colour(screen, {"TERM": "xterm-256color", "NO_COLOR": "1"})
        assert not wants_colour(screen, {"TERM": "dumb"})
    pipe = io.StringIO()
    assert not wants_console("auto", pipe)
    assert wants_console("console", pipe)
    assert not wants_colour(pipe, {"TERM": "xterm-256color"})


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="auto, json, console"):
        wants_console("yaml", io.StringIO())
