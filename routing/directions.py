"""Turn-by-turn directions from a route's street legs, in Dutch and English.

The assistant reads these on a phone or on paper between two doors, so they name streets and
turns the way people give directions ("sla linksaf de Abstederdijk op"), not as a list of
coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .matrix import Leg, Path

TEXT = {
    "nl": {
        "start": "Loop vanaf de deur naar {street}",
        "arrive": "Loop naar de deur ({metres})",
        "straight": "Ga rechtdoor {street}",
        "slight_left": "Houd links aan {street}",
        "slight_right": "Houd rechts aan {street}",
        "left": "Sla linksaf {street}",
        "right": "Sla rechtsaf {street}",
        "sharp_left": "Sla scherp linksaf {street}",
        "sharp_right": "Sla scherp rechtsaf {street}",
        "u_turn": "Keer om {street}",
        "onto": "de {name} op",
        "path": "het pad op",
        "here": "de straat",
        "follow": "volg {what} {metres}",
    },
    "en": {
        "start": "Walk from the door to {street}",
        "arrive": "Walk to the door ({metres})",
        "straight": "Continue straight {street}",
        "slight_left": "Keep left {street}",
        "slight_right": "Keep right {street}",
        "left": "Turn left {street}",
        "right": "Turn right {street}",
        "sharp_left": "Turn sharp left {street}",
        "sharp_right": "Turn sharp right {street}",
        "u_turn": "Make a U-turn {street}",
        "onto": "onto {name}",
        "path": "onto the path",
        "here": "the street",
        "follow": "follow {what} {metres}",
    },
}


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


def _ahead(coords, metres: float = 15.0):
    """A point a little way along the line, so a kink at the corner does not decide the turn."""
    x0, y0 = coords[0]
    for x, y in coords[1:]:
        if math.hypot(x - x0, y - y0) >= metres:
            return (x, y)
    return coords[-1]


def _behind(coords, metres: float = 15.0):
    return _ahead(coords[::-1], metres)


def _distance(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{int(round(metres / 10) * 10)} m"


def directions(path: Path, language: str = "nl") -> list[Step]:
    """Turn-by-turn steps for a path, in ``language`` ("nl" or "en")."""
    text = TEXT[language]
    legs = [leg for leg in path.legs if leg.metres >= 1]
    steps: list[Step] = []
    for i, leg in enumerate(legs):
        street = text["onto"].format(name=leg.street) if leg.street else text["path"]
        if leg.kind == "door":
            if i == 0:
                nxt = legs[1].street if len(legs) > 1 and legs[1].street else text["here"]
                sentence = text["start"].format(street=nxt)
            else:
                sentence = text["arrive"].format(metres=_distance(leg.metres))
        elif i == 0 or legs[i - 1].kind == "door":
            what = leg.street or text["path"].split()[-1]
            sentence = text["follow"].format(what=what, metres=_distance(leg.metres))
            sentence = sentence[0].upper() + sentence[1:]
        else:
            sentence = text[turn(legs[i - 1], leg)].format(street=street)
            sentence += f", {_distance(leg.metres)}"
        steps.append(Step(sentence, leg.metres, leg.seconds))
    return steps
