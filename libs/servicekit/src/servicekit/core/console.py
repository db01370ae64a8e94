"""Log events as a person reads them in a terminal, one line each:

    15:34:00.123 users    INFO  GET /api/users/{user_id} 200  3.1 ms  req=388348151852810240

LOG_FORMAT chooses between these lines and JSON lines, for every part of the system:
`json`, `console`, or `auto` (the default), console when the output is a terminal and
JSON when it is not: a pipe, a file, a container's log. `make run` renders the JSON
lines of its children with this module, so a service, the worker, nginx and the runner
itself read alike on screen.

Standard library only: devstack renders with it without importing a web framework.
"""

import os
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TextIO, get_args

LogFormat = Literal["auto", "json", "console"]
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)

# The fields every line shows in its own place; any other field follows the message.
_PLACED = frozenset(
    {"time", "level", "service", "logger", "message", "msg", "event", "request_id"}
    | {"trace_id", "span_id", "exception", "source", "timestamp"}
)
_LEVELS = {"warning": "WARN", "critical": "CRIT", "fatal": "CRIT", "exception": "ERROR"}
_LEVEL_COLOURS = {"DEBUG": "2", "INFO": "32", "WARN": "33", "ERROR": "1;31", "CRIT": "1;31"}
_SERVICE_COLOURS = ("36", "35", "33", "32", "34", "91", "96", "95")
_DIM, _RESET = "2", "\033[0m"
# C0 and C1 controls and DEL, ESC among them: a value must not move the cursor, clear
# the screen or start a line of its own that reads like another event.
_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
_CONTROLS |= {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def wants_console(log_format: str, stream: TextIO) -> bool:
    """Whether LOG_FORMAT asks for console lines on `stream`."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return log_format == "console" or (log_format == "auto" and is_terminal(stream))


def wants_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colours on a terminal that has them, unless NO_COLOR (no-color.org) is set."""
    environ = os.environ if environ is None else environ
    return is_terminal(stream) and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def escaped(text: str) -> str:
    return text.translate(_CONTROLS)


class ConsoleLines:
    """Renders events (the dicts the JSON lines hold) as console lines."""

    def __init__(self, *, colour: bool):
        self.colour = colour
        self._service_colours: dict[str, str] = {}

    def render(self, event: Mapping[str, Any], service: str = "") -> str:
        """The event's line; `service` names it when the event does not. A traceback,
        if the event carries one, follows on lines of its own, indented."""
        service = str(event.get("service") or service)
        level = str(event.get("level") or "info").lower()
        level = _LEVELS.get(level, level.upper())
        message = event.get("message", event.get("msg", event.get("event", "")))
        parts = [
            self._paint(_DIM, _clock(event.get("time"))),
            self._paint(self._colour_of(service), f"{escaped(service):<8}"),
            self._paint(_LEVEL_COLOURS.get(level, ""), f"{level:<5}"),
            escaped(str(message)),
        ]
        details = _details(event)
        if details:
            parts.append(self._paint(_DIM, details))
        if event.get("request_id"):
            parts.append(self._paint(_DIM, f"req={escaped(str(event['request_id']))}"))
        line = " ".join(parts[:3]) + " " + "  ".join(parts[3:])
        exception = event.get("exception")
        if exception:
            line += "".join(f"\n    {escaped(row)}" for row in str(exception).splitlines())
        return line

    def _colour_of(self, service: str) -> str:
        if service not in self._service_colours:
            index = zlib.crc32(service.encode()) % len(_SERVICE_COLOURS)
            self._service_colours[service] = _SERVICE_COLOURS[index]
        return self._service_colours[service]

    def _paint(self, colour: str, text: str) -> str:
        return f"\033[{colour}m{text}{_RESET}" if self.colour and colour else text


def _clock(value: object) -> str:
    """The local time of day of an ISO 8601 timestamp, to the millisecond."""
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
        except ValueError:
            moment = None
    moment = moment or datetime.now().astimezone()
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _details(event: Mapping[str, Any]) -> str:
    if event.get("logger") == "access":
        return _duration(event)
    return " ".join(
        f"{escaped(str(key))}={escaped(str(value))[:200]}"
        for key, value in event.items()
        if key not in _PLACED
    )


def _duration(access: Mapping[str, Any]) -> str:
    """The duration of an access line: a service's milliseconds, nginx's seconds."""
    try:
        if "duration_ms" in access:
            return f"{float(access['duration_ms']):.1f} ms"
        if "duration_s" in access:
            return f"{float(access['duration_s']) * 1000:.1f} ms"
    except (TypeError, ValueError):
        pass
    return ""
