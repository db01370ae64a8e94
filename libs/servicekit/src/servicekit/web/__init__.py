"""The FastAPI side of a service: its state and dependencies (`state`, `sessions`,
`auth`), its handlers in both modes (`modes`, `responses`), its inputs (`inputs`),
listings (`pagination`, `cursors`), errors as RFC 9457 problem details
(`problem_details`), the middleware (`body_limit`, `methods`), the OpenAPI document
(`openapi`) and the probes (`health`).

Above every other layer but servicekit.faults and servicekit.app.
"""
