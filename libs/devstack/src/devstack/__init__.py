"""The local stack behind `make run`, also used by test suites for throwaway servers.

One concern per module:
- `servers`: throwaway Postgres, MariaDB and Redis from the machine's binaries
- `probes`: whether a server URL answers (TCP, then SELECT 1 / PING)
- `databases`: create, drop and address one database on a server
- `keys`: the development Ed25519 key pair for access tokens
- `gateway`: rendering gateway/nginx.conf.template and running nginx
- `openapi_merge`, `api_document`: the gateway's API document, merged from the services'
  (`make openapi`); `api_site`: its files and Swagger UI's, as the gateway serves them;
  `python_client`: clients/python generated from it (`make client`)
- `supervisor`: child processes with merged output, health waits and ordered stops
- `services`: the table of services `make run` starts
- `stack`: `make run` itself; `lock`: one run per checkout
- `binaries`, `ports`, `processes`, `health`, `layout`: what those stand on
"""
