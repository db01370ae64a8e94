"""/readyz waits for the schema: a service started before its migrations takes no
traffic (503, `schema: pending`) and becomes ready once they ran, without a restart.
items has two revisions, so a schema part of the way there is tried too."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from servicekit.db.engines import sync_url
from servicekit.db.revisions import SchemaRevisions
from testkit.databases import migrate


async def test_the_service_waits_for_its_migrations_and_needs_no_restart(
    app_factory: Callable[[str, str], FastAPI],
    empty_database_url: str,
    redis_url: str,
    alembic_ini: Path,
    assert_problem: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    first = min(SchemaRevisions(alembic_ini).known)
    app = app_factory(empty_database_url, redis_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://items.test") as client:
            before = assert_problem(await client.get("/readyz"), 503)
            migrate(alembic_ini, empty_database_url, first)
            halfway = assert_problem(await client.get("/readyz"), 503)
            migrate(alembic_ini, empty_database_url)
            after = await client.get("/readyz")

    assert before["checks"] == {"database": "ok", "schema": "pending", "redis": "ok"}
    assert "schema" in before["detail"]
    assert halfway["checks"]["schema"] == "pending"
    assert after.status_code == 200, after.text
    assert after.json()["checks"] == {"database": "ok", "schema": "ok", "redis": "ok"}


async def test_a_database_a_newer_release_migrated_stays_ready(
    app_factory: Callable[[str, str], FastAPI], fresh_database_url: str, redis_url: str
) -> None:
    """In a rolling upgrade the migration Job runs first: the old pods stay ready."""
    engine = create_engine(sync_url(fresh_database_url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
    engine.dispose()

    app = app_factory(fresh_database_url, redis_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://items.test") as client:
            response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json()["checks"]["schema"] == "ok"
