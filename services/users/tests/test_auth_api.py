"""Login and access tokens over HTTP: what a token is worth, and what a forged one is not."""

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest

from testkit.assertions import assert_invalid, assert_problem
from testkit.backends import before_any_sql
from testkit.forgeries import A_FEW_FORGERIES
from testkit.keys import MintToken
from testkit.transactions import Sql

if TYPE_CHECKING:
    from .conftest import UserFactory


def unique_email() -> str:
    return f"u{uuid.uuid4().hex}@example.com"


def assert_unauthorized(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 401)
    assert "Bearer" in response.headers.get("www-authenticate", "")
    return body


async def login(client: httpx.AsyncClient, api: str, email: str, password: str) -> httpx.Response:
    return await client.post(f"{api}/auth/token", data={"username": email, "password": password})


async def get_me(client: httpx.AsyncClient, api: str, authorization: str) -> httpx.Response:
    return await client.get(f"{api}/users/me", headers={"Authorization": authorization})


# --- login ----------------------------------------------------------------------------


async def test_login_issues_a_bearer_token_for_the_user(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()

    response = await login(client, api, user.email, user.password)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert isinstance(body["expires_in"], int)
    assert not isinstance(body["expires_in"], bool)
    assert body["expires_in"] > 0
    token = body["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == str(user.id)
    assert claims["iss"] == "users"
    assert claims["aud"] in ("services", ["services"])
    assert user.password not in response.text

    me = await get_me(client, api, f"Bearer {token}")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user.id


@pytest.mark.parametrize("spelling", [str.upper, str.swapcase], ids=["upper", "swapcase"])
async def test_login_matches_email_case_insensitively(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory", spelling: Callable[[str], str]
) -> None:
    user = await user_factory(email=f"Ann.{uuid.uuid4().hex}@Example.com")

    response = await login(client, api, spelling(user.email), user.password)

    assert response.status_code == 200, response.text
    me = await get_me(client, api, f"Bearer {response.json()['access_token']}")
    assert me.json()["id"] == user.id


async def test_login_failures_do_not_reveal_which_part_was_wrong(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory(password="correct horse 1")

    failures = [
        await login(client, api, user.email, "wrong horse 1"),
        await login(client, api, user.email, "CORRECT HORSE 1"),
        await login(client, api, unique_email(), "correct horse 1"),
    ]

    bodies = [assert_problem(response, 401) for response in failures]
    assert len({(body["type"], body["title"], body["detail"]) for body in bodies}) == 1
    assert all("access_token" not in response.text for response in failures)


@before_any_sql
@pytest.mark.parametrize(
    "form",
    [{"username": "ann@example.com"}, {"password": "correct horse 1"}, {}],
    ids=["no-password", "no-username", "empty"],
)
async def test_login_rejects_incomplete_form(
    client: httpx.AsyncClient, api: str, form: dict[str, Any]
) -> None:
    response = await client.post(f"{api}/auth/token", data=form)

    assert_invalid(response)


@before_any_sql
@pytest.mark.parametrize("username", ["ann\x00@example.com", "\x00", "ann@example.com\n"])
async def test_login_with_a_control_character_in_the_username_is_422(
    client: httpx.AsyncClient, api: str, username: str
) -> None:
    # Looked up in the database, a NUL was a 500 on Postgres.
    response = await client.post(
        f"{api}/auth/token", data={"username": username, "password": "correct horse 1"}
    )

    assert_invalid(response)


@before_any_sql
async def test_login_rejects_json_body(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()

    response = await client.post(
        f"{api}/auth/token", json={"username": user.email, "password": user.password}
    )

    assert_invalid(response)


# --- tokens ---------------------------------------------------------------------------


async def test_minted_token_is_accepted(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory", mint_token: MintToken
) -> None:
    user = await user_factory()

    response = await get_me(client, api, f"Bearer {mint_token(str(user.id))}")

    assert response.status_code == 200, response.text
    assert response.json()["id"] == user.id


# Every forgery: servicekit's test_tokens (`CurrentUser`).
@before_any_sql
@pytest.mark.parametrize("kind", A_FEW_FORGERIES)
async def test_forged_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    user_factory: "UserFactory",
    mint_token: MintToken,
    forge_token: Callable[..., str | None],
    kind: str,
) -> None:
    attacker = await user_factory(name="Mallory")
    victim = await user_factory(name="Ann Lee", password="correct horse 1")
    forged = forge_token(
        kind,
        victim.id,
        attacker_token=attacker.token,
        # The victim's real password, sent the way a token never is.
        credentials=f"{victim.email}:{victim.password}",
    )
    headers = {} if forged is None else {"Authorization": forged}

    assert_unauthorized(await client.get(f"{api}/users/me", headers=headers))
    patched = await client.patch(
        f"{api}/users/{victim.id}",
        json={"name": "Hacked", "password": "hacked password 1"},
        headers=headers,
    )
    assert_unauthorized(patched)
    deleted = await client.delete(f"{api}/users/{victim.id}", headers=headers)
    assert_unauthorized(deleted)

    untouched = f"SELECT count(*) FROM users WHERE id = {victim.id} AND name = 'Ann Lee'"  # noqa: S608
    assert await sql(untouched) == 1
    assert (await login(client, api, victim.email, "correct horse 1")).status_code == 200
    # The same claims, properly signed, are honoured: the rejection was the forgery's.
    genuine = await get_me(client, api, f"Bearer {mint_token(str(victim.id))}")
    assert genuine.status_code == 200


async def test_token_of_deleted_user_is_401(
    client: httpx.AsyncClient, api: str, user_factory: "UserFactory"
) -> None:
    user = await user_factory()
    deleted = await client.delete(f"{api}/users/{user.id}", headers=user.headers)
    assert deleted.status_code == 204, deleted.text

    assert_unauthorized(await client.get(f"{api}/users/me", headers=user.headers))


@pytest.mark.parametrize("subject", ["unknown-id", "abc", "0", "99999999999999999999"])
async def test_token_for_no_existing_user_is_401(
    client: httpx.AsyncClient,
    api: str,
    sql: Sql,
    mint_token: MintToken,
    subject: str,
) -> None:
    if subject == "unknown-id":
        subject = str(int(await sql("SELECT coalesce(max(id), 0) FROM users")) + 1000)

    response = await get_me(client, api, f"Bearer {mint_token(subject)}")

    assert_unauthorized(response)
