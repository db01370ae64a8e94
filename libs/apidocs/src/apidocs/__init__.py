"""The gateway's API document and what is generated from it.

- `openapi_merge`: the services' own documents merged into one
- `api_document`: gateway/openapi.json, from the services' apps (`make openapi`)
- `python_client`: clients/python, generated from that document (`make client`)

It imports the services' apps to read their documents, so it sits above them; devstack,
which only starts the services, serves the kept file (devstack.api_site).
"""
