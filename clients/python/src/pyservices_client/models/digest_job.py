from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.digest_params import DigestParams


T = TypeVar("T", bound="DigestJob")


@_attrs_define
class DigestJob:
    """
    Attributes:
        kind (Literal['compute.digest']):
        params (DigestParams):
    """

    kind: Literal["compute.digest"]
    params: DigestParams

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        params = self.params.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "params": params,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.digest_params import DigestParams

        d = dict(src_dict)
        kind = cast(Literal["compute.digest"], d.pop("kind"))
        if kind != "compute.digest":
            raise ValueError(f"kind must match const 'compute.digest', got '{kind}'")

        params = DigestParams.from_dict(d.pop("params"))

        digest_job = cls(
            kind=kind,
            params=params,
        )

        return digest_job
