from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.report_params import ReportParams


T = TypeVar("T", bound="ReportJob")


@_attrs_define
class ReportJob:
    """
    Attributes:
        kind (Literal['reports.user_summary']):
        params (ReportParams):
    """

    kind: Literal["reports.user_summary"]
    params: ReportParams

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
        from ..models.report_params import ReportParams

        d = dict(src_dict)
        kind = cast(Literal["reports.user_summary"], d.pop("kind"))
        if kind != "reports.user_summary":
            raise ValueError(f"kind must match const 'reports.user_summary', got '{kind}'")

        params = ReportParams.from_dict(d.pop("params"))

        report_job = cls(
            kind=kind,
            params=params,
        )

        return report_job
