"""Turn-by-turn directions from a route's street legs, in Dutch and English.

The assistant reads these on a phone or on paper between two doors, so they name streets and
turns the way people give directions ("sla linksaf de Abstederdijk op"), not as a list of
coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .matrix import Leg, Path

TEXT = {
    "nl": {
        "start": "Loop vanaf de deur naar {road}",
        "arrive": "Loop naar de deur ({metres})",
        "straight": "Ga rechtdoor over {road}",
        "slight_left": "Houd links aan, {onto}",
        "slight_right": "Houd rechts aan, {onto}",
        "left": "Sla linksaf {onto}",
        "right": "Sla rechtsaf {onto}",
        "sharp_left": "Sla scherp linksaf {onto}",
        "sharp_right": "Sla scherp rechtsaf {onto}",
        "u_turn": "Keer om op {road}",
        "follow": "Volg {road} {metres}",
        "onto": "{road} op",
        "named": "de {name}",
        "unnamed": "de weg",
    },
    "en": {
        "start": "Walk from the door to {road}",
        "arrive": "Walk to the door ({metres})",
        "straight": "Continue straight on {road}",
        "slight_left": "Keep left onto {road}",
        "slight_right": "Keep right onto {road}",
        "left": "Turn left onto {road}",
        "right": "Turn right onto {road}",
        "sharp_left": "Turn sharp left onto {road}",
        "sharp_right": "Turn sharp right onto {road}",
        "u_turn": "Make a U-turn on {road}",
        "follow": "Follow {road} for {metres}",
        "onto": "{road}",
        "named": "{name}",
        "unnamed": "the road",
    },
}
"""Every maneuver as a whole sentence per language: a street is "de Biltstraat" in Dutch and
"Biltstraat" in English, and where OpenStreetMap names no street it is "de weg" / "the road"
(never a dangling "volg op 640 m")."""


@dataclass(frozen=True)
class Step:
    """One instruction: the sentence, and the distance (m) and time (s) it covers."""

    text: str
    metres: float
    seconds: float


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Compass bearing in degrees from projected point a to b (0 = north, clockwise)."""
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360


def turn(before: Leg, after: Leg) -> str:
    """The kind of turn between the end of one leg and the start of the next."""
    end, start = list(before.line.coords), list(after.line.coords)
    delta = (bearing(start[0], _ahead(start)) - bearing(_behind(end), end[-1]) + 540) % 360 - 180
    size = abs(delta)
    if size < 20:
        return "straight"
    side = "right" if delta > 0 else "left"
    if size < 45:
        return f"slight_{side}"
    if size < 135:
        return side
    if size < 170:
        return f"sharp_{side}"
    return "u_turn"


def _ahead(coords: Sequence[tuple[float, float]], metres: float = 15.0) -> tuple[float, float]:
    """A point a little way along the line, so a kink at the corner does not decide the turn."""
    x0, y0 = coords[0]
    for x, y in coords[1:]:
        if math.hypot(x - x0, y - y0) >= metres:
            return (x, y)
    return coords[-1]


def _behind(coords: Sequence[tuple[float, float]], metres: float = 15.0) -> tuple[float, float]:
    return _ahead(coords[::-1], metres)


def _distance(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{int(round(metres / 10) * 10)} m"


def directions(path: Path, language: str = "nl") -> list[Step]:
    """Turn-by-turn steps for a path, in ``language`` ("nl" or "en")."""
    text = TEXT[language]

    def road(name: str | None) -> str:
        return text["named"].format(name=name) if name else text["unnamed"]

    legs = [leg for leg in path.legs if leg.metres >= 1]
    steps: list[Step] = []
    for i, leg in enumerate(legs):
        here = road(leg.street)
        if leg.kind == "door":
            if i == 0:
                sentence = text["start"].format(road=road(legs[1].street if len(legs) > 1
                                                          else None))
            else:
                sentence = text["arrive"].format(metres=_distance(leg.metres))
        elif i == 0 or legs[i - 1].kind == "door":
            sentence = text["follow"].format(road=here, metres=_distance(leg.metres))
        else:
            sentence = text[turn(legs[i - 1], leg)].format(
                road=here, onto=text["onto"].format(road=here))
            sentence += f", {_distance(leg.metres)}"
        steps.append(Step(sentence, leg.metres, leg.seconds))
    return steps
