"""Baseline (o) of `make bench-ceiling`: the items list page with nothing but FastAPI and
a raw asyncpg pool, no middleware, no ORM: the reference for the items list (m).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/items_bench \\
        uvicorn raw_asyncpg_items:app --app-dir loadtest/baselines
"""

import os
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

QUERY = (
    "SELECT id, owner_id, title, description, views, created_at, updated_at FROM items"
    " ORDER BY id LIMIT $1"
)


@asynccontextmanager
async def lifespan(app: FastAPI):
    # The same pool as a service's (servicekit's DB_POOL_SIZE default, no overflow).
    size = int(os.environ.get("DB_POOL_SIZE", "20"))
    app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=size, max_size=size
    )
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/items")
async def list_items(limit: int = 50) -> dict:
    async with app.state.pool.acquire() as connection:
        rows = await connection.fetch(QUERY, limit + 1)
    items = [dict(row) for row in rows[:limit]]
    return {
        "items": items,
        "next_cursor": str(rows[limit - 1]["id"]) if len(rows) > limit else None,
    }
