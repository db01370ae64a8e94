"""Tokens die with what they stand for: a password change, a logout everywhere and an
account deletion void every earlier token within seconds (servicekit.security.revocation);
tokens issued afterwards work at once."""

from functools import partial
from typing import TYPE_CHECKING

import httpx

from testkit.assertions import assert_problem, first_with_status

if TYPE_CHECKING:
    from .conftest import UserFactory


async def me(client: httpx.AsyncClient, api: str, token: str) -> httpx.Response:
    return await client.get(f"{api}/users/me", headers={"Authorization": f"Bearer {token}"})


async def login(client: httpx.AsyncClient, api: str, email: str, password: str) -> str:
    response = await client.post(
        f"{api}/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    result: str = response.json()["access_token"]
    return result


def assert_revoked(response: httpx.Response) -> None:
    body = assert_problem(response, 401)
    assert "revoked" in body["detail"]


async def test_a_password_change_voids_earlier_tokens_and_not_later_ones(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    other_session = await login(client, api, user.email, user.password)

    changed = await client.patch(
        f"{api}/users/{user.id}", json={"password": "a new secret 2"}, headers=user.headers
    )
    assert changed.status_code == 200, changed.text
    # At once, in the same second as the change: the new password's token is good.
    fresh = await login(client, api, user.email, "a new secret 2")
    assert (await me(client, api, fresh)).status_code == 200

    for old in (user.token, other_session):
        assert_revoked(await first_with_status(partial(me, client, api, old), 401))
    assert (await me(client, api, fresh)).status_code == 200
    assert_problem(
        await client.post(
            f"{api}/auth/token", data={"username": user.email, "password": user.password}
        ),
        401,
    )


async def test_a_profile_change_without_a_password_voids_nothing(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()

    changed = await client.patch(
        f"{api}/users/{user.id}", json={"name": "Ann Other"}, headers=user.headers
    )
    assert changed.status_code == 200, changed.text

    # A refresh of the revocations later (one a second), the token still works.
    revoked_meanwhile = await first_with_status(lambda: me(client, api, user.token), 401, 2.5)
    assert revoked_meanwhile.status_code == 200


async def test_logout_all_voids_every_token_issued_so_far(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    second = await login(client, api, user.email, user.password)

    response = await client.post(f"{api}/auth/logout-all", headers=user.headers)

    assert response.status_code == 204, response.text
    for token in (user.token, second):
        assert_revoked(await first_with_status(partial(me, client, api, token), 401))
    assert (await me(client, api, await login(client, api, user.email, user.password))).is_success


async def test_logout_all_needs_a_valid_token(client: httpx.AsyncClient, api: str) -> None:
    assert_problem(await client.post(f"{api}/auth/logout-all"), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await client.post(f"{api}/auth/logout-all", headers=bad), 401)


async def test_a_deleted_accounts_token_is_revoked(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()

    deleted = await client.delete(f"{api}/users/{user.id}", headers=user.headers)

    assert deleted.status_code == 204, deleted.text
    # users itself looks the account up (401 at once); the token must fail where only
    # its signature is checked, as in every other service: logout-all checks no more.
    assert_revoked(
        await first_with_status(
            lambda: client.post(f"{api}/auth/logout-all", headers=user.headers), 401
        )
    )
