"""The shared library of the services: importable, never run.

Modules are cut by concern; none has side effects at import. The non-web modules
(`settings`, `db`, `ids`, `request_id`, `logging`) import neither FastAPI nor Celery.
"""
