"""A test's transaction: the app's sessions and reads bound to connections that roll
back, an httpx client over the app, and `sql` to read what the test wrote."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlalchemy.orm import sessionmaker

from testkit.apps import MODES


@dataclass
class Transaction:
    """The connections of one test; everything done through them is rolled back."""

    async_connection: AsyncConnection
    sync_connection: Connection


@pytest.fixture
async def transaction(app: FastAPI) -> AsyncIterator[Transaction]:
    """Binds the app's sessions to connections in an open transaction for one test.

    Sessions commit into savepoints, so handlers behave as in production, and the
    outer rollback leaves the database as it was.
    """
    db = app.state.service.db
    original = db.async_sessions, db.sync_sessions
    async with db.async_engine.connect() as async_connection:
        await async_connection.begin()
        sync_connection = await asyncio.to_thread(db.sync_engine.connect)
        sync_connection.begin()
        db.async_sessions = async_sessionmaker(
            bind=async_connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        db.sync_sessions = sessionmaker(
            bind=sync_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        db.reads_bound_to = async_connection.sync_connection, sync_connection
        try:
            yield Transaction(async_connection, sync_connection)
        finally:
            db.async_sessions, db.sync_sessions = original
            db.reads_bound_to = None
            await async_connection.rollback()
            await asyncio.to_thread(_rollback_and_close, sync_connection)


def _rollback_and_close(connection: Connection) -> None:
    connection.rollback()
    connection.close()


@pytest.fixture
async def client(app: FastAPI, transaction: Transaction) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as c:
        yield c


# `await sql("SELECT ...")`: the first value of a statement's result, whatever the column.
Sql = Callable[[str], Awaitable[Any]]


@pytest.fixture
def sql(transaction: Transaction, api: str) -> Sql:
    """`await sql("SELECT ...")`: the first value, seen from inside the mode's transaction."""

    async def scalar(statement: str) -> Any:
        if api == MODES["async"]:
            return (await transaction.async_connection.execute(text(statement))).scalar()
        return await asyncio.to_thread(
            lambda: transaction.sync_connection.execute(text(statement)).scalar()
        )

    return scalar
