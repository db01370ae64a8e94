"""The shared library of the services: importable, never run.

Subpackages cut by concern, in layers: each imports only the layers below it
(tests/test_layers.py holds them to it), and no module has side effects at import.

1. `core`: settings, errors, ids, the collector, the console's log lines.
2. `security`: tokens, revocation, rate limits.
3. `db`: engines, pools, deadlines, models, migrations and schema revisions.
4. `observability`: request ids, logging, tracing, metrics, request telemetry.
5. `queries`: named SQL and the reads that run it.
6. `clients`: other services over HTTP, jobs (Celery), Redis.
7. `web`: the FastAPI side: state, dependencies, both modes, problems, OpenAPI, probes.
8. `faults`: the fault switch, its admin route and its effects.
9. `app`: `create_app`, which wires them all.

Below `web`, nothing imports FastAPI (observability's middleware is plain ASGI, on
Starlette's types), and only `clients.jobs`, Celery's wiring, imports Celery.
"""
