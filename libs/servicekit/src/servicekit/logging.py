"""JSON lines on stdout: time, level, service, request_id, logger, message.

stdlib loggers (uvicorn's access and error logs, SQLAlchemy, libraries) and structlog
loggers all end in the same formatter, so every line has the same shape.
"""

import logging
import sys

import orjson
import structlog

from servicekit.request_id import current_request_id

# Loggers that install handlers of their own; ours replace them.
_FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "asgi_correlation_id")


def _add_request_id(_logger, _method, event: dict) -> dict:
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _orjson(event: dict, **_kw) -> str:
    return orjson.dumps(event, default=str).decode()


def _drop_reraised_errors(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Exception in ASGI application")


def configure_logging(service: str, level: str = "INFO", *, access_log: bool = True) -> None:
    def add_service(_logger, _method, event: dict) -> dict:
        event["service"] = service
        return event

    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_service,
        _add_request_id,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(serializer=_orjson),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _FOREIGN_LOGGERS:
        foreign = logging.getLogger(name)
        foreign.handlers.clear()
        foreign.propagate = True
    # uvicorn writes access lines when its logger has handlers (also through the root's):
    # cutting it off from the root is what turns them off, record creation included.
    logging.getLogger("uvicorn.access").propagate = access_log
    # Starlette re-raises unhandled errors after our 500 handler has logged them;
    # uvicorn would log the same traceback a second time, without the request id.
    logging.getLogger("uvicorn.error").addFilter(_drop_reraised_errors)
    # SQL statements are never logged (no echo); only SQLAlchemy's warnings pass.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    # SQLAlchemy names a pool's logger after its class: ours lives in servicekit.pools.
    logging.getLogger("servicekit.pools").setLevel(logging.WARNING)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
