from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DigestParams")


@_attrs_define
class DigestParams:
    """
    Attributes:
        data (str):
        rounds (int):
    """

    data: str
    rounds: int

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        rounds = self.rounds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "data": data,
                "rounds": rounds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        data = d.pop("data")

        rounds = d.pop("rounds")

        digest_params = cls(
            data=data,
            rounds=rounds,
        )

        return digest_params
