"""What a process calls besides its database: other services (`http`), the job queue
(`jobs`, Celery's wiring for the submitter and the worker) and Redis (`redis`).

Free of FastAPI: the worker uses all three. Above servicekit.observability: calls and
jobs carry the request id and the trace.
"""
