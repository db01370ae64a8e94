"""The liveness probe: `python -m worker_service.liveness` exits 1 when the heartbeat
file is older than `LIVENESS_MAX_AGE_SECONDS`.

A worker process can stay up while its consumer no longer takes messages (a known
Celery failure after broker reconnects); a port or a process check would call it alive.
The file is touched by every job start and finish and by a heartbeat job the worker
sends to its own queue (see heartbeat.py), so it ages only when nothing is consumed.
Kept free of Celery imports: the probe runs often and must start fast.
"""

import os
import sys
import time
from pathlib import Path

from servicekit.core.settings import load_settings
from worker_service.settings import HeartbeatSettings


def touch(path: str | Path) -> None:
    Path(path).touch()


def heartbeat_age(path: str | Path) -> float | None:
    """Seconds since the file was last touched; None when there is none."""
    try:
        return time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return None


def main() -> int:
    settings = load_settings(HeartbeatSettings)
    age = heartbeat_age(settings.heartbeat_file)
    if age is None:
        print(f"no heartbeat file at {settings.heartbeat_file}", file=sys.stderr)
        return 1
    if age > settings.liveness_max_age_seconds:
        print(
            f"last heartbeat {age:.0f} s ago (limit {settings.liveness_max_age_seconds:.0f} s):"
            " the worker no longer consumes",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
