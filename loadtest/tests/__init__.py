"""Tests of the load-test package. A package, so that pytest does not take the folder
`loadtest/` for the `loadtest` package."""
