"""The Celery worker: jobs sent by name from the other services, and periodic flushes."""

import atexit
import os
import shutil
import tempfile

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir() -> str:
    """Where the worker's processes keep their Prometheus values (see metrics.py):
    `PROMETHEUS_MULTIPROC_DIR` when given (a Kubernetes emptyDir, say), else a new
    temporary directory, removed when the process that made it exits.

    Free of prometheus_client on purpose: it must run before that is imported.
    """
    given = os.environ.get(MULTIPROC_DIR_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        return given
    made = tempfile.mkdtemp(prefix="worker-metrics-")
    maker = os.getpid()

    def remove() -> None:
        # Pool processes leave through os._exit and never get here; a fork that exits
        # normally must not take the directory away from the others.
        if os.getpid() == maker:
            shutil.rmtree(made, ignore_errors=True)

    atexit.register(remove)
    return made
