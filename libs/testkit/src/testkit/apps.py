"""The service's app with its lifespan, once per database and session, and the two
modes every contract test runs in."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

# The path prefix of each mode: one contract, served by async and by sync handlers.
MODES = {"async": "/api", "sync": "/sync/api"}


@pytest.fixture(scope="session")
async def _running_apps() -> AsyncIterator[tuple[AsyncExitStack, dict]]:
    """database URL -> app with its lifespan entered; all shut down at the session's end."""
    async with AsyncExitStack() as stack:
        yield stack, {}


@pytest.fixture
async def app(app_factory, database_url: str, redis_url: str, _running_apps):
    """The service's app on its session database; started once per session."""
    stack, apps = _running_apps
    if database_url not in apps:
        application = app_factory(database_url, redis_url)
        await stack.enter_async_context(application.router.lifespan_context(application))
        apps[database_url] = application
    return apps[database_url]


@pytest.fixture(params=list(MODES))
def api(request: pytest.FixtureRequest) -> str:
    """The path prefix of one mode: every contract test runs over /api and /sync/api."""
    return MODES[request.param]
