"""Each baseline of `make bench-ceiling` answers the items its service row answers, on
the same data: a baseline that did less work (a `0` for `false`, a time without its
zone) would flatter itself, and a ratio to it would blame the service for the rest."""

import importlib
import os
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, insert

from devstack.databases import create_database, drop_database, with_database
from items_service.app import create_items_app
from items_service.models import Item
from items_service.settings import ItemsSettings
from loadtest.ceiling import BASELINES, DEMO_OWNER
from servicekit.db.engines import sync_url
from tasks_service.app import create_tasks_app
from tasks_service.models import Task
from tasks_service.settings import TasksSettings
from testkit.databases import migrate
from testkit.keys import MintToken
from users_service.app import create_users_app
from users_service.models import User
from users_service.settings import UsersSettings

ROOT = Path(__file__).parents[2]
T0 = datetime(2026, 12, 7, 8, 0, 0, 250000, tzinfo=UTC)


def users_rows() -> list[dict[str, Any]]:
    return [
        {
            "name": f"User {n}",
            "email": f"user{n}@example.com",
            "password_hash": "x",
            "avatar": None if n % 2 else f"https://example.com/{n}.png",
            "created_at": T0 + timedelta(minutes=n),
            "updated_at": T0 + timedelta(minutes=n),
        }
        for n in range(1, 8)
    ]


def tasks_rows() -> list[dict[str, Any]]:
    return [
        {
            "owner_id": DEMO_OWNER if n < 6 else 2,
            "title": f"Task {n}",
            "due_date": None if n % 2 else (T0 + timedelta(days=n)).date(),
            "done": n % 3 == 0,
            "done_at": T0 + timedelta(hours=n) if n % 3 == 0 else None,
            "created_at": T0 + timedelta(minutes=n),
            "updated_at": T0 + timedelta(minutes=n),
        }
        for n in range(1, 9)
    ]


def items_rows() -> list[dict[str, Any]]:
    return [
        {
            "owner_id": n % 3 + 1,
            "title": f"Item {n}",
            "description": None if n % 2 else "a thing",
            "views": n * 10,
            "created_at": T0 + timedelta(minutes=n),
            "updated_at": T0 + timedelta(minutes=n),
        }
        for n in range(1, 8)
    ]


# (service, server, model, rows, the service's app, its path, its baselines)
CASES = {
    "users": ("postgres", User, users_rows, "/api/users?limit=50", ["raw_asyncpg", "raw_psycopg"]),
    "tasks": ("mysql", Task, tasks_rows, "/api/tasks?limit=50", ["raw_asyncmy", "raw_pymysql"]),
    "items": ("postgres", Item, items_rows, "/api/items?limit=50", ["raw_asyncpg_items"]),
}
APPS: dict[str, tuple[Callable[..., FastAPI], type]] = {
    "users": (create_users_app, UsersSettings),
    "tasks": (create_tasks_app, TasksSettings),
    "items": (create_items_app, ItemsSettings),
}


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
            yield client


def baseline_app(name: str, database_url: str, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.syspath_prepend(str(BASELINES))
    module = importlib.import_module(name)
    result: FastAPI = module.app
    return result


def answered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items with their times as instants: FastAPI writes `+00:00`, pydantic `Z`."""
    return [
        {
            key: datetime.fromisoformat(value) if key.endswith("_at") and value else value
            for key, value in item.items()
        }
        for item in items
    ]


@pytest.mark.parametrize("service", CASES)
async def test_each_baseline_answers_its_services_items(
    service: str,
    server_urls: dict[str, str],
    jwt_private_key: str,
    jwt_public_key: str,
    mint_token: MintToken,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_kind, model, rows, path, baselines = CASES[service]
    server = server_urls[server_kind]
    name = f"{service}_baseline_{os.getpid()}_{secrets.token_hex(3)}"
    create_database(server, name)
    database_url = with_database(server, name)
    try:
        migrate(ROOT / "services" / service / "alembic.ini", database_url)
        engine = create_engine(sync_url(database_url))
        with engine.begin() as connection:
            connection.execute(insert(model), rows())
        engine.dispose()

        create_app, settings = APPS[service]
        app = create_app(
            settings(
                database_url=database_url,
                redis_url=server_urls["redis"],
                # users signs with the private key; the others verify with the public one.
                **(
                    {"jwt_private_key": jwt_private_key}
                    if service == "users"
                    else {"jwt_public_key": jwt_public_key}
                ),
                access_log=False,
            )
        )
        headers = {"Authorization": f"Bearer {mint_token(str(DEMO_OWNER))}"}
        async with client_of(app) as client:
            served = await client.get(path, headers=headers)
        assert served.status_code == 200, served.text
        expected = answered(served.json()["items"])
        assert expected

        for baseline in baselines:
            async with client_of(baseline_app(baseline, database_url, monkeypatch)) as client:
                response = await client.get(path)
            assert response.status_code == 200, (baseline, response.text)
            assert answered(response.json()["items"]) == expected, baseline
    finally:
        for module in (
            "raw_asyncpg",
            "raw_asyncpg_items",
            "raw_psycopg",
            "raw_asyncmy",
            "raw_pymysql",
        ):
            sys.modules.pop(module, None)
        drop_database(server, name)
