"""The local stack behind `make run`, also used by test suites for throwaway servers.

One concern per module:
- `servers`: throwaway Postgres, MariaDB and Redis from the machine's binaries
- `probes`: whether a server URL answers (TCP, then SELECT 1 / PING)
- `databases`: create, drop and address one database on a server
- `keys`: the development Ed25519 key pair for access tokens
- `gateway`: rendering gateway/nginx.conf.template and running nginx; `gateway_edge`: its
  edge settings (client budgets, CORS, gzip); `api_site`: the API document and Swagger
  UI's files, as the gateway serves them
- `prometheus`: Prometheus scraping the running stack with the repository's rules
- `supervisor`: child processes with merged output, health waits and ordered stops
- `services`: the table of services `make run` starts
- `stack`: `make run` itself; `lock`: one run per checkout
- `binaries`, `ports`, `processes`, `health`, `layout`: what those stand on
- `uv_bootstrap`: uv for `make` on a machine without it (standard library only)

It imports no service package (it starts them as processes) and nothing of images or
clusters (clusterkit), API documents (apidocs) or tests (testkit), which build on it.
"""
