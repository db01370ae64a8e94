"""Baseline (k) of `make bench-ceiling`: the tasks list page of the tasks service's
statement (tasks_page.py) with nothing but FastAPI and a raw asyncmy pool (the services'
async MySQL driver), no middleware, no ORM.

    DATABASE_URL=mysql://root@127.0.0.1:3306/tasks_bench \\
        uvicorn raw_asyncmy:app --app-dir loadtest/baselines
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncmy
from asyncmy.cursors import DictCursor
from fastapi import FastAPI
from mysql_url import connect_args
from tasks_page import OWNER, QUERY, as_answered


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The same pool as a service's (servicekit's DB_POOL_SIZE default, no overflow).
    size = int(os.environ.get("DB_POOL_SIZE", "20"))
    app.state.pool = await asyncmy.create_pool(minsize=size, maxsize=size, **connect_args())
    yield
    app.state.pool.close()
    await app.state.pool.wait_closed()


app = FastAPI(lifespan=lifespan)


@app.get("/api/tasks")
async def list_tasks(limit: int = 50) -> dict:
    async with app.state.pool.acquire() as connection, connection.cursor(DictCursor) as cursor:
        await cursor.execute(QUERY, (OWNER, limit + 1))
        rows = await cursor.fetchall()
    return {
        "items": [as_answered(row) for row in rows[:limit]],
        "next_cursor": str(rows[limit - 1]["id"]) if len(rows) > limit else None,
    }
