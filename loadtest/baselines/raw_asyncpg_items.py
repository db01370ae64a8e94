"""Baseline (o) of `make bench-ceiling`: the items list page with nothing but FastAPI and
a raw asyncpg pool (raw_asyncpg.py's app), no middleware, no ORM: the reference for the
items list (m).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/items_bench \\
        uvicorn raw_asyncpg_items:app --app-dir loadtest/baselines
"""

from raw_asyncpg import page_app

QUERY = (
    "SELECT id, owner_id, title, description, views, created_at, updated_at FROM items"
    " ORDER BY id LIMIT $1"
)

app = page_app("/api/items", QUERY)
