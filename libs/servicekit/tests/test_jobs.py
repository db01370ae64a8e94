"""Publishing a job when Redis cannot take it: one connection attempt, then the 503.

kombu retries a publisher's connection after 2 s unless told not to, which made a
submission with Redis away wait that long for its answer. Counted, not timed: a
listener that hangs up on every connection stands in for a Redis that is going away.
"""

import socket
import threading
from collections.abc import Iterator

import pytest

from servicecontracts.job_messages import JobMessage
from servicekit.clients.jobs import QueueUnavailable, create_celery, send_job


@pytest.fixture
def hanging_up() -> Iterator[tuple[int, list[int]]]:
    """(port, connections accepted so far) of a TCP server that closes each at once."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # closed at teardown
                return
            accepted.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    server.close()
    thread.join(timeout=5)


def test_a_publisher_tries_redis_once_then_says_the_queue_is_unavailable(
    hanging_up: tuple[int, list[int]],
) -> None:
    port, accepted = hanging_up
    app = create_celery("publisher", f"redis://127.0.0.1:{port}/0")

    with pytest.raises(QueueUnavailable):
        send_job(app, JobMessage(job_id=1, kind="reports.user_summary", params={}))

    assert len(accepted) == 1


def test_a_refused_publish_raises_the_503_problem(closed_port: int) -> None:
    app = create_celery("publisher", f"redis://127.0.0.1:{closed_port}/0")

    with pytest.raises(QueueUnavailable) as raised:
        send_job(app, JobMessage(job_id=1, kind="reports.user_summary", params={}))

    assert raised.value.status == 503
