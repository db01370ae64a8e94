"""Baseline (h) of `make bench-ceiling`: the users list page of raw_asyncpg.py served by
a plain `def` FastAPI handler on psycopg 3, sync, no middleware, no ORM: the reference
for the services' sync users list (b).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/users_bench \\
        uvicorn raw_psycopg:app --app-dir loadtest/baselines
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI
from psycopg.rows import dict_row
from sync_pool import Pool, use_service_threads

QUERY = "SELECT id, name, avatar, created_at FROM users ORDER BY id LIMIT %s"


def _connect() -> psycopg.Connection:
    # Autocommit: one SELECT without BEGIN/COMMIT, as the services' reads run on Postgres.
    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    use_service_threads()
    app.state.pool = Pool(_connect, psycopg.Connection.close)
    yield
    app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/users")
def list_users(limit: int = 50) -> dict:
    with app.state.pool.connection() as connection:
        rows = connection.execute(QUERY, (limit + 1,)).fetchall()
    return {
        "items": rows[:limit],
        "next_cursor": str(rows[limit - 1]["id"]) if len(rows) > limit else None,
    }
