"""What a process says about itself: request ids (`request_id`), log lines (`logging`),
traces (`tracing`), Prometheus metrics (`metrics`, which watches servicekit.db's pools)
and the middleware that observes each request once (`telemetry`).

Imports servicekit.core and servicekit.db; its middleware is plain ASGI, without FastAPI.
"""
