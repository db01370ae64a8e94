from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PasswordLogin")


@_attrs_define
class PasswordLogin:
    """The OAuth2 password grant form; `username` is the email address.

    Attributes:
        username (str):
        password (str):
        grant_type (Literal['password'] | Unset):
        scope (str | Unset):  Default: ''.
    """

    username: str
    password: str
    grant_type: Literal["password"] | Unset = UNSET
    scope: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        username = self.username

        password = self.password

        grant_type = self.grant_type

        scope = self.scope

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "username": username,
                "password": password,
            }
        )
        if grant_type is not UNSET:
            field_dict["grant_type"] = grant_type
        if scope is not UNSET:
            field_dict["scope"] = scope

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        username = d.pop("username")

        password = d.pop("password")

        grant_type = cast(Literal["password"] | Unset, d.pop("grant_type", UNSET))
        if grant_type != "password" and not isinstance(grant_type, Unset):
            raise ValueError(f"grant_type must match const 'password', got '{grant_type}'")

        scope = d.pop("scope", UNSET)

        password_login = cls(
            username=username,
            password=password,
            grant_type=grant_type,
            scope=scope,
        )

        return password_login
