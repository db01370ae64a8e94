"""The fault switch of a service, for comparisons and demonstrations (FAULTS_ENABLED):
the switch each process follows (`switch`), the `/admin/fault` route that sets it
(`admin`) and what a fault does to the data requests (`effects`, with its statements
in `sql/`).

Above servicekit.web, whose routes and problems it acts on; only servicekit.app
imports it.
"""
