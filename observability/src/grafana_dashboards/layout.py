"""Rows of panels onto Grafana's grid (24 columns), and the panels' ids.

A dashboard is a list of `Row`s; a row is a list of lines; the panels of a line share
its width equally (two panels: 12 columns each), and the next line starts below the
tallest. A repeated panel fills its line alone with its copies. Positions are given
to the SDK explicitly, so the grid is this module's rule, not the SDK's placement.

Ids run in order, rows included. A row may start from a given id instead: Grafana's
links to a single panel (`viewPanel=<id>`) name it by id, so a panel added later gets
new ids and the others keep theirs.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.models import dashboard as dashboard_models

from .panels import Cell, prometheus_datasource

GRID_COLUMNS = 24
ROW_HEIGHT = 1


@dataclass
class Row:
    """A titled row of lines of panels; a collapsed row holds its panels inside."""

    title: str
    lines: Sequence[Sequence[Cell]]
    collapsed: bool = False
    first_id: int | None = None


def _line_width(line: Sequence[Cell]) -> int:
    repeated = [cell for cell in line if cell.per_row]
    if repeated and len(line) > 1:
        raise ValueError("a repeated panel fills its line: give it a line of its own")
    per_line = repeated[0].per_row if repeated else len(line)
    assert per_line
    if GRID_COLUMNS % per_line:
        raise ValueError(f"{per_line} panels do not share {GRID_COLUMNS} columns evenly")
    return GRID_COLUMNS // per_line


def place(board: dashboard_builders.Dashboard, rows: Sequence[Row]) -> None:
    """Add the rows and their panels to the dashboard, positioned and numbered."""
    y = 0
    next_id = 1
    for row in rows:
        next_id = row.first_id or next_id
        row_builder = (
            dashboard_builders.Row(row.title)
            .id(next_id)
            .datasource(prometheus_datasource())
            .collapsed(row.collapsed)
            .grid_pos(dashboard_models.GridPos(h=ROW_HEIGHT, w=GRID_COLUMNS, x=0, y=y))
        )
        next_id += 1
        y += ROW_HEIGHT
        placed = []
        for line in row.lines:
            width = _line_width(line)
            for column, cell in enumerate(line):
                grid = dashboard_models.GridPos(h=cell.height, w=width, x=column * width, y=y)
                placed.append(cell.panel.id(next_id).grid_pos(grid))
                next_id += 1
            y += max(cell.height for cell in line)
        if row.collapsed:
            for panel in placed:
                row_builder.with_panel(panel)
            board.with_row(row_builder)
        else:
            board.with_row(row_builder)
            for panel in placed:
                board.with_panel(panel)
