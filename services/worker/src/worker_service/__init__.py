"""The Celery worker: jobs sent by name from the other services, and periodic flushes."""
