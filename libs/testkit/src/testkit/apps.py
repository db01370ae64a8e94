"""The service's app with its lifespan, once per database and session, and the two
modes every contract test runs in."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from fastapi import FastAPI

# The path prefix of each mode: one contract, served by async and by sync handlers.
MODES = {"async": "/api", "sync": "/sync/api"}


@pytest.fixture(scope="session")
async def _running_apps() -> AsyncIterator[tuple[AsyncExitStack, dict[str, FastAPI]]]:
    """database URL -> app with its lifespan entered; all shut down at the session's end."""
    async with AsyncExitStack() as stack:
        yield stack, {}


@pytest.fixture
async def app(
    app_factory: Callable[[str, str], FastAPI],
    database_url: str,
    redis_url: str,
    _running_apps: tuple[AsyncExitStack, dict[str, FastAPI]],
) -> FastAPI:
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


def assert_modes_agree(document: dict[str, Any]) -> None:
    """Every operation of an OpenAPI document under /api has a twin under /sync/api that
    is identical but for its path (and the tag, operation id and response schema title
    that carry the path)."""
    async_prefix, sync_prefix = MODES["async"], MODES["sync"]
    paths = document["paths"]
    async_paths = {p.removeprefix(async_prefix) for p in paths if p.startswith(async_prefix + "/")}
    sync_paths = {p.removeprefix(sync_prefix) for p in paths if p.startswith(sync_prefix + "/")}
    assert async_paths, "no operation under /api"
    assert async_paths == sync_paths
    for path in async_paths:
        async_ops, sync_ops = paths[async_prefix + path], paths[sync_prefix + path]
        assert async_ops.keys() == sync_ops.keys(), path
        for method, operation in async_ops.items():
            twin = sync_ops[method]
            assert (operation["tags"], twin["tags"]) == (["async"], ["sync"])
            operation_id = operation["operationId"].replace("_api_", "_sync_api_", 1)
            assert twin["operationId"] == operation_id, f"{method} {path}"
            unnamed = ("tags", "operationId")
            contract = json.dumps({k: v for k, v in operation.items() if k not in unnamed})
            twin_contract = json.dumps({k: v for k, v in twin.items() if k not in unnamed})
            # FastAPI titles a union response schema "Response <Name> <Path>".
            assert contract == twin_contract.replace(" Sync Api ", " Api "), f"{method} {path}"
