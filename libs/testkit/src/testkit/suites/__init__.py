"""Tests every service runs alike, defined once.

A service's test module imports a suite's test function (pytest collects it there, as a
test of that service) and provides the fixture the suite names, which feeds it the
service: its process, its endpoints, its table. So a rule every service shares has one
test, and no copy of it drifts from the others.
"""
