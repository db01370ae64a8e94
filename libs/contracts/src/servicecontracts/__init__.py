"""What two services must agree on, written once and imported by both sides.

One module per contract. It imports nothing of this repository (servicekit and the
services import it, never the reverse) and nothing but pydantic and SQLAlchemy besides
the standard library, so the worker can take a contract without a web framework, and a
service without Celery.
"""
