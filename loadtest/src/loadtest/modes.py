"""The two modes a run compares, how a request names its mode, and `--mode both`.

Every request name ends with its mode, `[users] list (async)`, so the mode is on screen
in the statistics table and stays in the CSV, the HTML report and the Prometheus
labels. Last rather than first because Locust sorts its tables by name: a step's async
and sync rows then sit next to each other, which under `--mode both` makes the table
the comparison.

Importing nothing from Locust here: the tests and the bench runner import it alone.
"""

import itertools
from collections.abc import Iterator

PREFIXES = {"async": "/api", "sync": "/sync/api"}
MODES = tuple(PREFIXES)
BOTH = "both"
CHOICES = (*MODES, BOTH)


def request_name(step: str, mode: str) -> str:
    if mode not in PREFIXES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    return f"{step} ({mode})"


class Alternation:
    """The mode of each new user of a scenario under `--mode both`: async, sync, async,
    ... per scenario, so each scenario's users split half and half (async has the one
    more of an odd count)."""

    def __init__(self) -> None:
        self._next: dict[str, Iterator[str]] = {}

    def mode_for(self, scenario: str, option: str) -> str:
        if option != BOTH:
            return option
        return next(self._next.setdefault(scenario, itertools.cycle(MODES)))

    def restart(self) -> None:
        """A new run starts each scenario's split from async again."""
        self._next.clear()
