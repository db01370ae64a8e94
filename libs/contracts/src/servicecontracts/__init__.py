"""What two services must agree on, written once and imported by both sides.

One module per contract. None imports FastAPI, Starlette or Celery, so the worker can
take a contract without taking a web framework, and a service without taking Celery.
"""
