"""Plain functions behind the Celery tasks: testable without a broker or a worker."""
