from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserUpdate")


@_attrs_define
class UserUpdate:
    """Only the fields sent change; `avatar: null` clears the avatar, while a name, an
    email or a password is never null.

        Attributes:
            name (str | Unset):
            email (str | Unset):
            password (str | Unset):
            avatar (None | str | Unset):
    """

    name: str | Unset = UNSET
    email: str | Unset = UNSET
    password: str | Unset = UNSET
    avatar: str | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        email = self.email

        password = self.password

        avatar: str | Unset | None
        if isinstance(self.avatar, Unset):
            avatar = UNSET
        else:
            avatar = self.avatar

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if email is not UNSET:
            field_dict["email"] = email
        if password is not UNSET:
            field_dict["password"] = password
        if avatar is not UNSET:
            field_dict["avatar"] = avatar

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name", UNSET)

        email = d.pop("email", UNSET)

        password = d.pop("password", UNSET)

        def _parse_avatar(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        avatar = _parse_avatar(d.pop("avatar", UNSET))

        user_update = cls(
            name=name,
            email=email,
            password=password,
            avatar=avatar,
        )

        return user_update
