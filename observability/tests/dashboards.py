"""The Grafana dashboards as data, for tests: their panels and their PromQL queries with
the template variables filled in the way Grafana fills them.

    from observability.tests.dashboards import load_dashboards, panel_queries

    for stem, dashboard in load_dashboards().items():
        for title, expr in panel_queries(dashboard, {"service": "users|items|tasks"}):
            ...  # evaluate `expr` against a Prometheus

A multi-value variable becomes a regex alternation (`users|items|tasks`), which is why
the dashboards match them with `=~`. A variable the caller does not give takes the value
Grafana's "All" would: its `allValue`, else every option of a custom variable, else `.*`.
No test functions here: pytest does not collect this module (its name has no `test_`).
"""

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

DASHBOARDS_DIR = Path(__file__).resolve().parents[1] / "dashboards"

# $name, ${name}, ${name:format}, [[name]] and [[name:format]], Grafana's three syntaxes.
VARIABLE_PATTERN = re.compile(
    r"\$\{(?P<braced>\w+)(?::\w+)?\}|\[\[(?P<bracketed>\w+)(?::\w+)?\]\]|\$(?P<plain>\w+)"
)

DEFAULT_RANGE = "1h"
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")


def load_dashboards(directory: Path = DASHBOARDS_DIR) -> dict[str, dict[str, Any]]:
    """Every dashboard of the folder, by file stem (`services`, `worker`, ...)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def iter_panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and the panels nested in (collapsed) rows."""

    def walk(panels: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels") or [])

    yield from walk(dashboard.get("panels") or [])


def template_variables(dashboard: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The dashboard's template variables by name."""
    return {var["name"]: var for var in dashboard.get("templating", {}).get("list", [])}


def used_variables(expr: str) -> set[str]:
    """The names of the variables a query refers to, built-ins (`__rate_interval`) too."""
    return {
        match["braced"] or match["bracketed"] or match["plain"]
        for match in VARIABLE_PATTERN.finditer(expr)
    }


def all_value(variable: Mapping[str, Any]) -> str:
    """What Grafana puts for "All": the allValue, else every option as an alternation."""
    if variable.get("allValue"):
        result: str = variable["allValue"]
        return result
    if variable.get("type") == "custom":
        values = [part.strip() for part in str(variable.get("query", "")).split(",")]
        values = [value for value in values if value]
        if values:
            return "|".join(values)
    # A query variable's options come from Prometheus; `.*` matches whatever they are.
    return ".*"


def duration_seconds(duration: str) -> float:
    """`1m30s` -> 90.0, for the `_ms` and `_s` forms of the built-ins."""
    parts = _DURATION_PART.findall(duration)
    if not parts or "".join(number + unit for number, unit in parts) != duration:
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def builtin_variables(rate_interval: str, range_: str = DEFAULT_RANGE) -> dict[str, str]:
    """Grafana's own variables. `$__interval` (the step) is given the rate interval: any
    window at least a scrape interval long works for a query evaluated once."""
    interval_s = duration_seconds(rate_interval)
    range_s = duration_seconds(range_)
    return {
        "__rate_interval": rate_interval,
        "__interval": rate_interval,
        "__interval_ms": _number(interval_s * 1000),
        "__range": range_,
        "__range_s": _number(range_s),
        "__range_ms": _number(range_s * 1000),
    }


def resolve_variables(
    dashboard: Mapping[str, Any],
    variables: Mapping[str, str | Sequence[str]],
    rate_interval: str = "1m",
) -> dict[str, str]:
    """Every variable a query of the dashboard may use, as the text to substitute.

    `variables` wins: a string is used as it is, a list becomes an alternation, and
    `$__all` / `All` mean the variable's "All" value. The built-ins may be overridden
    the same way (`{"__range": "10m"}`).
    """
    values = dict(builtin_variables(rate_interval, str(variables.get("__range", DEFAULT_RANGE))))
    defined = template_variables(dashboard)
    for name, variable in defined.items():
        values[name] = all_value(variable)
    for name, value in variables.items():
        if isinstance(value, str):
            if value in ("$__all", "All") and name in defined:
                continue
            values[name] = value
        else:
            values[name] = "|".join(value)
    return values


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """The query with its variables replaced; a variable without a value is an error."""

    def replace(match: re.Match[str]) -> str:
        name = match["braced"] or match["bracketed"] or match["plain"]
        if name not in values:
            raise KeyError(f"variable ${name} has no value (in {expr!r})")
        return values[name]

    return VARIABLE_PATTERN.sub(replace, expr)


def panel_targets(dashboard: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(panel, target) for every target with a PromQL expression."""
    for panel in iter_panels(dashboard):
        for target in panel.get("targets") or []:
            if target.get("expr"):
                yield panel, target


def panel_queries(
    dashboard: Mapping[str, Any],
    variables: Mapping[str, str | Sequence[str]],
    rate_interval: str = "1m",
) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel, rows' panels included,
    with the template and built-in variables substituted (see `resolve_variables`)."""
    values = resolve_variables(dashboard, variables, rate_interval)
    return [
        (panel.get("title", ""), substitute(target["expr"], values))
        for panel, target in panel_targets(dashboard)
    ]
