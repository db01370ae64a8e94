# Every Python image of the system, built from the repository root (make images):
#   podman build -f containers/python.Dockerfile --target service --build-arg SERVICE=users \
#     -t pyservices/users:dev .                  (items and tasks alike; `dev` for skaffold dev)
#   ... --target worker --build-arg SERVICE=worker -t pyservices/worker:dev .
#   ... --target loadtest -t pyservices/loadtest:dev .
# SERVICE names a folder under services/ and the package `<SERVICE>-service` in it. All
# share the builder stage (uv and the lock) and the runtime stage (the user and the
# environment); each runs as uid 10001 on a read-only root filesystem (writes go to /tmp).
# skaffold watches what every COPY below names, whatever the target, and refuses a
# source that matches no file: a stage may copy only what every part has (k8s/tests).

FROM python:3.11-slim-bookworm AS builder
# binutils for strip (containers/slim-venv). uv from PyPI: pip takes the wheel of the
# platform being built, so a multi-arch build needs no architecture-specific download.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir --root-user-action=ignore uv==0.13.8
ENV UV_FROZEN=1 UV_NO_DEV=1 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never UV_SYSTEM_CERTS=1
WORKDIR /app
COPY containers/slim-venv /usr/local/bin/
# With UV_FROZEN, uv installs a package's dependencies from uv.lock alone: the members'
# own files are not needed until their editable install, so the dependency layer of
# every image below survives every change but one to the lock.
COPY pyproject.toml uv.lock ./

# users, items, tasks and the worker: services/$SERVICE, the package $SERVICE-service.
FROM builder AS service-builder
ARG SERVICE
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --no-install-workspace \
      --package "${SERVICE:?build with --build-arg SERVICE=users, items, tasks or worker}-service" \
 && slim-venv /app/.venv
# Then the workspace's own packages, installed editable: the sources stay at
# /app/<member>, where skaffold's file sync puts a changed file. The service's folder
# brings its migrations (alembic.ini, migrations/) where the same image runs them.
COPY libs/servicekit libs/servicekit
COPY libs/contracts libs/contracts
COPY services/${SERVICE} services/${SERVICE}
RUN --mount=type=cache,target=/root/.cache/uv uv sync --package ${SERVICE}-service

# Locust with the project's scenarios, which also drive the local stack (devstack).
FROM builder AS loadtest-builder
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --no-install-workspace --package loadtest && slim-venv /app/.venv
COPY libs/servicekit libs/servicekit
COPY libs/contracts libs/contracts
COPY libs/devstack libs/devstack
# The typed client the smoke check calls the API with (loadtest.client_check).
COPY clients/python clients/python
COPY loadtest/pyproject.toml loadtest/
COPY loadtest/src loadtest/src
RUN --mount=type=cache,target=/root/.cache/uv uv sync --package loadtest

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app
# JSON log lines even on a terminal (`podman run -t`): a container's log is for machines.
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp \
    LOG_FORMAT=json

# The Celery worker, its metrics on :9101; beat is the same image with
#   celery --quiet -A worker_service.celery_app beat
# Liveness: python -m worker_service.liveness (the heartbeat file's age).
FROM runtime AS worker
ARG SERVICE
COPY --from=service-builder /app /app
# Bytecode now, as root: at run time the root filesystem is read-only.
RUN if [ "$SERVICE" != worker ]; then echo "build the worker with SERVICE=worker" >&2; exit 1; fi \
 && python -m compileall -q /app/libs /app/services
# Everything the worker writes goes under /tmp (an emptyDir in the chart): the
# heartbeat file, the pool processes' Prometheus values, beat's schedule.
ENV BEAT_SCHEDULE_FILE=/tmp/celerybeat-schedule
WORKDIR /app/services/worker
USER 10001:10001
EXPOSE 9101
# --quiet: no banner, so every stdout line is JSON. SIGTERM is a warm shutdown: the job
# running finishes, the next one stays queued.
CMD ["celery", "--quiet", "-A", "worker_service.celery_app", "worker"]

# The web UI on :8089 (every scenario, UsersRead ticked, `--mode` among the custom
# parameters, the fault panel at /faults writing to REDIS_URL), Locust's Prometheus
# metrics on :9646; LOCUST_HOST is the gateway's URL. Headless:
#   ... pyservices/loadtest:dev locust -f locustfile.py --headless -u 10 -t 30s UsersRead
FROM runtime AS loadtest
COPY --from=loadtest-builder /app /app
RUN python -m compileall -q /app/libs /app/loadtest
# matplotlib (the comparison's plots) keeps its font cache under MPLCONFIGDIR.
ENV MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app/loadtest/src/loadtest
USER 10001:10001
EXPOSE 8089 9646
CMD ["locust", "-f", "locustfile.py", "--class-picker", "--web-port", "8089", \
     "--metrics-port", "9646"]

# An HTTP service on :8000; `alembic upgrade head` (or python -m servicekit.db.migrate) in
# the same image migrates. An exec-form CMD cannot name the app from a build argument:
# uvicorn takes it from UVICORN_APP, so the command stays one for the three services.
FROM runtime AS service
ARG SERVICE
COPY --from=service-builder /app /app
RUN python -m compileall -q /app/libs /app/services
ENV UVICORN_APP=${SERVICE}_service.main:app
WORKDIR /app/services/${SERVICE}
USER 10001:10001
EXPOSE 8000
CMD ["uvicorn", "--host", "0.0.0.0", "--port", "8000", "--loop", "uvloop", \
     "--http", "httptools", "--no-server-header", "--timeout-graceful-shutdown", "5"]

# skaffold dev builds this target: the same image, its sources served from
# /tmp/dev/<the same path>, an emptyDir that file sync writes while the root stays
# read-only (containers/dev_sources.py copies them there when Python starts), and
# uvicorn reloading when one changes. Its command starts with `python`, so
# `skaffold debug` can run it under debugpy.
FROM service AS dev
ARG SERVICE
ENV DEV_SOURCES="/app/services/${SERVICE}=/tmp/dev/services/${SERVICE} /app/libs/servicekit/src=/tmp/dev/libs/servicekit/src /app/libs/contracts/src=/tmp/dev/libs/contracts/src"
USER 0
COPY containers/dev_sources.py containers/00-dev-sources.pth /app/.venv/lib/python3.11/site-packages/
# Every editable install (the service's, servicekit's, servicecontracts') now points
# into /tmp/dev, and /tmp/dev holds nothing else to watch.
RUN sed -i 's#^/app/#/tmp/dev/#' /app/.venv/lib/python3.11/site-packages/_editable_impl_*.pth
USER 10001:10001
CMD ["python", "-m", "uvicorn", "--host", "0.0.0.0", "--port", "8000", "--loop", "uvloop", \
     "--http", "httptools", "--no-server-header", "--reload", "--reload-dir", "/tmp/dev"]

# Without --target: an HTTP service (SERVICE is still required).
FROM service
