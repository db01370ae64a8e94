"""Baseline (c) of `make bench-ceiling`: the users list page with nothing but FastAPI and
a raw asyncpg pool, no middleware, no ORM: how fast this query can be served at all.
`page_app` makes the same app for another list (raw_asyncpg_items.py).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/users_bench \\
        uvicorn raw_asyncpg:app --app-dir loadtest/baselines
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

QUERY = "SELECT id, name, avatar, created_at FROM users ORDER BY id LIMIT $1"


def page_app(path: str, query: str) -> FastAPI:
    """FastAPI answering `path` with the page `query` (its limit the one parameter)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The same pool as a service's (servicekit's DB_POOL_SIZE default, no overflow).
        size = int(os.environ.get("DB_POOL_SIZE", "20"))
        app.state.pool = await asyncpg.create_pool(
            os.environ["DATABASE_URL"], min_size=size, max_size=size
        )
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get(path)
    async def list_page(limit: int = 50) -> dict:
        async with app.state.pool.acquire() as connection:
            rows = await connection.fetch(query, limit + 1)
        items = [dict(row) for row in rows[:limit]]
        return {
            "items": items,
            "next_cursor": str(rows[limit - 1]["id"]) if len(rows) > limit else None,
        }

    return app


app = page_app("/api/users", QUERY)
