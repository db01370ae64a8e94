"""How far async is ahead of sync under each condition of the fault axis: per database,
the concurrency at which async's requests per second are the largest multiple of sync's,
and the sentence the report says it in. Pure functions of the measured cells.

Only levels whose numbers mean something count: both modes measured, sync served
something, and the load generator kept up in both (cells.GENERATOR_CPU_LIMIT).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from loadtest.cells import Cell
from loadtest.conditions import Condition


@dataclass(frozen=True)
class Lead:
    condition: Condition
    concurrency: int
    ratio: float  # async requests per second / sync's


def conditions_of(cells: Iterable[Cell]) -> list[Condition]:
    return sorted({cell.condition for cell in cells}, key=lambda condition: condition.order)


def ratios(cells: Iterable[Cell], database: str, condition: Condition) -> list[tuple[int, float]]:
    """[(concurrency, async rps / sync rps)] at the levels that count, sorted."""
    by_level: dict[int, dict[str, Cell]] = {}
    for cell in cells:
        if cell.database == database and cell.condition == condition:
            by_level.setdefault(cell.concurrency, {})[cell.mode] = cell
    points = []
    for level, pair in sorted(by_level.items()):
        if set(pair) != {"async", "sync"} or any(c.generator_bound for c in pair.values()):
            continue
        if pair["sync"].rps > 0:
            points.append((level, pair["async"].rps / pair["sync"].rps))
    return points


def leads(cells: Sequence[Cell], database: str) -> list[Lead]:
    """Per condition, in axis order, the level of async's largest lead (the lowest such
    level on a tie); conditions without a level that counts are left out."""
    found = []
    for condition in conditions_of(cells):
        points = ratios(cells, database, condition)
        if points:
            level, ratio = max(points, key=lambda point: (point[1], -point[0]))
            found.append(Lead(condition, level, ratio))
    return found


def lead_sentence(database: str, found: Sequence[Lead]) -> str:
    """'On postgres, async serves 3.10× the requests per second of sync with 100 ms
    upstream latency, at 64 users; with no fault, 1.40× (16 users).'"""
    if not found:
        return (
            f"On {database}, no concurrency level has both modes measured with a load "
            "generator that kept up: nothing to compare."
        )
    best = max(found, key=lambda lead: lead.ratio)
    if best.ratio <= 1:
        return (
            f"On {database}, async serves no more requests per second than sync under any "
            f"condition: at best {best.ratio:.2f}× (with {best.condition.label}, "
            f"{_users(best.concurrency)})."
        )
    sentence = (
        f"On {database}, async serves {best.ratio:.2f}× the requests per second of sync "
        f"with {best.condition.label}, at {_users(best.concurrency)}"
    )
    others = [
        f"with {lead.condition.label}, {lead.ratio:.2f}× ({_users(lead.concurrency)})"
        for lead in found
        if lead != best
    ]
    return "; ".join([sentence, *others]) + "."


def _users(count: int) -> str:
    return f"{count} user" if count == 1 else f"{count} users"


def lead_series(cells: Sequence[Cell]) -> dict[tuple[str, Condition], list[tuple[int, float]]]:
    """(database, condition) -> [(concurrency, async rps / sync rps)]: one plotted line
    each, databases sorted, conditions in axis order."""
    lines = {}
    for database in sorted({cell.database for cell in cells}):
        for condition in conditions_of(cells):
            if points := ratios(cells, database, condition):
                lines[database, condition] = points
    return lines
