"""A service refuses a token users revoked (a password change, logout-all, a deleted
account) within seconds, in both modes: servicekit.security.revocation, through the real Redis.
On Postgres alone: the token is refused before any SQL runs.

A service's module imports `test_a_revoked_token_is_refused_and_writes_nothing` and
provides `owned_collection`, an `OwnedCollection`: where a token's subject creates what
it owns, and the table that keeps it.
"""

import secrets
from collections.abc import Awaitable
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from servicekit.security.revocation import revoke
from testkit.assertions import assert_problem, first_with_status
from testkit.backends import before_any_sql
from testkit.keys import MintToken
from testkit.transactions import Sql


@dataclass(frozen=True)
class OwnedCollection:
    # Under the mode's prefix: "/items" is POSTed to "/api/items" and "/sync/api/items".
    path: str
    # Its rows have an owner_id; `{"title": ...}` is a valid body for a new one.
    table: str


@before_any_sql
async def test_a_revoked_token_is_refused_and_writes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    api: str,
    mint_token: MintToken,
    sql: Sql,
    owned_collection: OwnedCollection,
) -> None:
    user_id = 8_000_000_000_000 + secrets.randbelow(10**12)  # no other test's user
    headers = {"Authorization": f"Bearer {mint_token(str(user_id))}"}

    def create(title: str) -> Awaitable[httpx.Response]:
        url = f"{api}{owned_collection.path}"
        return client.post(url, json={"title": title}, headers=headers)

    assert (await create("Before")).status_code == 201
    # As users writes it, into the Redis this app reads.
    await revoke(app.state.service.redis, user_id, keep_seconds=3600)

    refused = await first_with_status(lambda: create("After"), 401)

    assert "revoked" in assert_problem(refused, 401)["detail"]
    # The table is the service's own, named in code: nothing to inject.
    count = f"SELECT count(*) FROM {owned_collection.table} WHERE owner_id = {user_id}"  # noqa: S608
    made = await sql(count)
    assert_problem(await create("Still after"), 401)
    assert await sql(count) == made
