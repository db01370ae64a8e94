"""users' OpenAPI document says what users answers: fields that are never null are not
nullable, emails and avatars are described as users checks them, and each operation
documents the refusals of its own rules (401, 403, 409, 429)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from testkit.apps import MODES, assert_modes_agree
from users_service.schemas import Avatar, Email


@pytest.fixture(scope="module")
def document(app_factory: Callable[[str, str], FastAPI]) -> dict[str, Any]:
    # The document needs no database: an app that is never started makes it.
    return app_factory("postgresql://nobody@127.0.0.1:9/none", "redis://127.0.0.1:9/0").openapi()


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = document["components"]["schemas"][name]
    return result


@pytest.mark.parametrize("field", ["name", "email", "password"])
def test_a_patch_field_that_is_never_null_is_not_nullable(
    document: dict[str, Any], field: str
) -> None:
    update = schema_of(document, "UserUpdate")
    assert update["properties"][field]["type"] == "string"
    assert "anyOf" not in update["properties"][field]
    assert field not in update.get("required", [])
    # The avatar is cleared with null: that one is nullable.
    assert {"type": "null"} in update["properties"]["avatar"]["anyOf"]


def test_the_login_form_has_no_null_grant_type(document: dict[str, Any]) -> None:
    # A form field has no null to send: the grant type is "password" or left out.
    grant_type = schema_of(document, "PasswordLogin")["properties"]["grant_type"]
    assert grant_type == {"const": "password", "title": "Grant Type", "type": "string"}


def accepted(kind: Any, value: str) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


EMAILS = ["ann@example.com", "ann@mail.example.org", "a!#$%&'*+/=?^_`{|}~-b@example.dev"]
EMAILS += ["ann@example.test", "ann@ex.TEST", "ann@host.local", "ann@localhost", "ann@x.onion"]


@pytest.mark.parametrize("email", EMAILS)
def test_the_documented_email_is_the_one_users_takes(document: dict[str, Any], email: str) -> None:
    documented = schema_of(document, "UserCreate")["properties"]["email"]
    assert documented["format"] == "email"
    # `format: email` admits all of these; the pattern leaves out the special-use
    # domains that users refuses.
    assert accepted(Email, email) == (re.fullmatch(documented["pattern"], email) is not None)


AVATARS = {
    "https://cdn.example.com/a.png": True,
    "HTTP://EXAMPLE.COM/": True,
    "ftp://example.com/a.png": False,
    "example.com/a.png": False,
    "": False,
}


@pytest.mark.parametrize(("avatar", "taken"), AVATARS.items())
def test_the_documented_avatar_is_an_http_url(
    document: dict[str, Any], avatar: str, taken: bool
) -> None:
    documented = schema_of(document, "UserCreate")["properties"]["avatar"]["anyOf"][0]
    assert documented["format"] == "uri"
    assert (re.match(documented["pattern"], avatar) is not None) == taken
    assert accepted(Avatar, avatar) == taken


@pytest.mark.parametrize("prefix", MODES.values())
def test_each_operation_documents_the_refusals_of_its_own_rules(
    document: dict[str, Any], prefix: str
) -> None:
    paths = document["paths"]
    register = paths[f"{prefix}/users"]["post"]["responses"]
    change = paths[f"{prefix}/users/{{user_id}}"]["patch"]["responses"]
    delete = paths[f"{prefix}/users/{{user_id}}"]["delete"]["responses"]
    login = paths[f"{prefix}/auth/token"]["post"]["responses"]
    assert {"409", "429", "503"} <= set(register)
    assert {"401", "403", "404", "409", "503"} <= set(change)
    assert {"401", "403", "404", "503"} <= set(delete)
    assert {"401", "429", "503"} <= set(login)
    for limited in (register, login):
        assert limited["429"]["headers"]["Retry-After"]["required"] is True
    assert login["401"]["headers"]["WWW-Authenticate"]["required"] is True


def test_both_modes_have_one_contract(document: dict[str, Any]) -> None:
    assert_modes_agree(document)
