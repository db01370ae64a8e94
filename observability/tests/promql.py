"""Just enough PromQL reading for the static checks: the metric names a query selects,
and the metric catalogue of observability/README.md to check them against."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

# Metrics every scrape has besides the catalogue's: Prometheus's own `up`, and the
# process collector of prometheus-client (README: "Each process also exports ...").
EXTRA_METRICS = frozenset({"up"})
EXTRA_PREFIXES = ("process_",)

_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
_CATALOGUE_ROW = re.compile(r"^\|\s*`(?P<name>[a-zA-Z_:][\w:]*)`\s*\|\s*(?P<type>\w+)\s*\|", re.M)

_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = frozenset(
    {
        "and", "or", "unless", "atan2", "bool", "offset", "by", "without", "on",
        "ignoring", "group_left", "group_right", "inf", "nan",
    }
)  # fmt: skip


def catalogue(readme: Path = README) -> dict[str, str]:
    """metric name -> type (counter, gauge, histogram), from the README's table."""
    return {m["name"]: m["type"] for m in _CATALOGUE_ROW.finditer(readme.read_text())}


def known_series_names(readme: Path = README) -> set[str]:
    """Every series name a query may select: histograms as their _bucket/_sum/_count."""
    names = set(EXTRA_METRICS)
    for name, kind in catalogue(readme).items():
        if kind == "histogram":
            names.update(name + suffix for suffix in _HISTOGRAM_SUFFIXES)
        else:
            names.add(name)
    return names


def is_known(name: str, known: set[str]) -> bool:
    return name in known or name.startswith(EXTRA_PREFIXES)


def metric_names(expr: str) -> set[str]:
    """The metric names a query selects: identifiers that are neither functions, nor
    keywords, nor inside label matchers, range brackets or grouping clauses.
    (`{__name__="x"}` selectors are not read; the dashboards do not use them.)"""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    while _BRACKETS.search(text):
        text = _BRACKETS.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}
