"""Not code: a package only so that pytest's importlib mode names the test modules
`observability.tests.*`, apart from the other folders' `tests` packages. (The
dashboards' code is the package `grafana_dashboards`, under src/.)"""
