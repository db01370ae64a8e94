"""items refuses a token users revoked (a password change, logout-all, a deleted
account) within seconds, in both modes: servicekit.revocation, through the real Redis."""

import secrets

from servicekit.revocation import revoke
from testkit.assertions import assert_problem, first_with_status


async def test_a_revoked_token_is_refused_and_writes_nothing(app, client, api, mint_token, sql):
    user_id = 8_000_000_000_000 + secrets.randbelow(10**12)  # no other test's user
    headers = {"Authorization": f"Bearer {mint_token(str(user_id))}"}

    def create(title: str):
        return client.post(f"{api}/items", json={"title": title}, headers=headers)

    assert (await create("Before")).status_code == 201
    # As users writes it, into the Redis this app reads.
    await revoke(app.state.service.redis, user_id, keep_seconds=3600)

    refused = await first_with_status(lambda: create("After"), 401)

    assert "revoked" in assert_problem(refused, 401)["detail"]
    count = f"SELECT count(*) FROM items WHERE owner_id = {user_id}"  # noqa: S608
    made = await sql(count)
    assert_problem(await create("Still after"), 401)
    assert await sql(count) == made
