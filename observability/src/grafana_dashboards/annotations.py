"""Dashboard annotations: Grafana's built-in one (alerts and hand-made marks) and
annotations from a PromQL query.

The SDK's `AnnotationQuery` is made from Grafana's core dashboard schema, which has no
place for what the Prometheus datasource reads from an annotation beside `expr`: its
step, title and tags. `PrometheusAnnotationQuery` adds those four fields, under the
names Grafana's Prometheus datasource reads (the same ones Grafonnet writes).
"""

from typing import Any

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as dashboard_models

from .panels import prometheus_datasource


def built_in() -> dashboard_builders.AnnotationQuery:
    """Grafana's own annotations and alerts, hidden from the toolbar as Grafana does."""
    return (
        dashboard_builders.AnnotationQuery()
        .built_in(1)
        .datasource(dashboard_models.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
        .enable(True)
        .hide(True)
        .icon_color("rgba(0, 211, 255, 1)")
        .name("Annotations & Alerts")
        .type("dashboard")
    )


class PrometheusAnnotationQuery(dashboard_models.AnnotationQuery):
    """An annotation from a PromQL query: a mark wherever `expr` has a sample."""

    def __init__(
        self,
        *,
        step: str,
        title_format: str,
        tag_keys: str,
        use_value_for_time: bool = False,
        **fields: Any,
    ) -> None:
        super().__init__(**fields)
        self.step = step
        self.title_format = title_format
        self.tag_keys = tag_keys
        self.use_value_for_time = use_value_for_time

    def to_json(self) -> dict[str, object]:
        return {
            **super().to_json(),
            "step": self.step,
            "titleFormat": self.title_format,
            "tagKeys": self.tag_keys,
            "useValueForTime": self.use_value_for_time,
        }


class PrometheusAnnotation(cogbuilder.Builder[dashboard_models.AnnotationQuery]):
    """Builds a `PrometheusAnnotationQuery`, for `Dashboard.annotation`."""

    def __init__(
        self, name: str, expr: str, *, title: str, tags: str, step: str, color: str
    ) -> None:
        self._internal = PrometheusAnnotationQuery(
            name=name,
            datasource=prometheus_datasource(),
            enable=True,
            hide=False,
            icon_color=color,
            expr=expr,
            step=step,
            title_format=title,
            tag_keys=tags,
        )

    def build(self) -> dashboard_models.AnnotationQuery:
        return self._internal
