from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.owner import Owner


T = TypeVar("T", bound="ItemWithOwner")


@_attrs_define
class ItemWithOwner:
    """`?expand=owner`: `owner` is null when users no longer knows the account.

    Attributes:
        id (int):
        owner_id (int):
        title (str):
        description (None | str):
        views (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        owner (None | Owner):
    """

    id: int
    owner_id: int
    title: str
    description: str | None
    views: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    owner: Owner | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.owner import Owner

        id = self.id

        owner_id = self.owner_id

        title = self.title

        description: str | None
        description = self.description

        views = self.views

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        owner: dict[str, Any] | None
        if isinstance(self.owner, Owner):
            owner = self.owner.to_dict()
        else:
            owner = self.owner

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "owner_id": owner_id,
                "title": title,
                "description": description,
                "views": views,
                "created_at": created_at,
                "updated_at": updated_at,
                "owner": owner,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.owner import Owner

        d = dict(src_dict)
        id = d.pop("id")

        owner_id = d.pop("owner_id")

        title = d.pop("title")

        def _parse_description(data: object) -> str | None:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        views = d.pop("views")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_owner(data: object) -> Owner | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                owner_type_0 = Owner.from_dict(data)

                return owner_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Owner, data)

        owner = _parse_owner(d.pop("owner"))

        item_with_owner = cls(
            id=id,
            owner_id=owner_id,
            title=title,
            description=description,
            views=views,
            created_at=created_at,
            updated_at=updated_at,
            owner=owner,
        )

        item_with_owner.additional_properties = d
        return item_with_owner

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
