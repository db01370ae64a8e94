"""Baseline (l) of `make bench-ceiling`: the tasks page of raw_asyncmy.py served by a plain
`def` FastAPI handler on PyMySQL (the services' sync MySQL driver), no middleware, no
ORM: the reference for the services' sync tasks list (j).

    DATABASE_URL=mysql://root@127.0.0.1:3306/tasks_bench \\
        uvicorn raw_pymysql:app --app-dir loadtest/baselines
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pymysql
import pymysql.cursors
from fastapi import FastAPI
from mysql_url import connect_args
from sync_pool import Pool, use_service_threads
from tasks_page import OWNER, QUERY, as_answered


def _connect() -> pymysql.Connection:
    return pymysql.connect(cursorclass=pymysql.cursors.DictCursor, **connect_args())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    use_service_threads()
    app.state.pool = Pool(_connect, pymysql.Connection.close)
    yield
    app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/tasks")
def list_tasks(limit: int = 50) -> dict:
    with app.state.pool.connection() as connection, connection.cursor() as cursor:
        cursor.execute(QUERY, (OWNER, limit + 1))
        rows = cursor.fetchall()
    return {
        "items": [as_answered(row) for row in rows[:limit]],
        "next_cursor": str(rows[limit - 1]["id"]) if len(rows) > limit else None,
    }
