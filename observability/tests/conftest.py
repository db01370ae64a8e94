"""Fixtures of the observability checks."""

from collections.abc import Iterator

import pytest

from .prometheus import running_prometheus


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a throwaway Prometheus with nothing to scrape (queries parse and
    evaluate, on no data); stopped at the end of the session."""
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url
