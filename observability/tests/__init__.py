"""Checks of the alert rules and dashboards. A package, so that pytest's importlib mode
gives these modules names of their own (`observability.tests.dashboards`)."""
