"""The Grafana dashboards as code, built with Grafana's Python SDK
(grafana-foundation-sdk) so that every panel, query, unit and threshold is one of
Grafana's own types.

One module per dashboard (`services`, `databases`, `worker`, `loadtest`), each with a
`build()`; the shared parts: `board` (settings every dashboard has), `layout` (the
grid and panel ids), `panels` (stat and time-series panels), `promql` (the query
shapes), `variables`, `annotations`. `render` writes them to observability/dashboards,
which `python -m grafana_dashboards` (`make dashboards`) does.
"""
