"""Load tests: Locust scenarios, the comparison matrix and its report."""
