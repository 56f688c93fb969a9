"""From addresses to matrix indices: the step between orders and the travel-time matrix.

Orders, pickup places and assistants' start points are collected as :class:`Stops` (one index
per distinct point), then one travel matrix per travel mode in use is built over all of them and
handed to the solver as a :class:`routing.model.Problem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .area import Area
from .model import Assistant, Order, Problem


@dataclass
class Stops:
    """Distinct points of a day, each with a display label. Same point → same index."""

    points: list[tuple[float, float]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    _index: dict[tuple[float, float], int] = field(default_factory=dict, repr=False)

    def add(self, lat: float, lon: float, label: str = "") -> int:
        key = (round(lat, 7), round(lon, 7))
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append(key)
            self.labels.append(label)
        return self._index[key]

    def __len__(self) -> int:
        return len(self.points)


def day_problem(area: Area, stops: Stops, orders: list[Order], assistants: list[Assistant],
                **kw: Any) -> Problem:
    """The solver's problem: matrices over ``stops`` for every mode an assistant uses."""
    modes = sorted({a.mode for a in assistants}) or ["walk"]
    matrices = {mode: area.matrix(stops.points, mode) for mode in modes}
    return Problem.from_matrices(matrices, orders, assistants, **kw)
