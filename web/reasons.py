"""Why an order is unplanned, in the coordinator's language.

The routing core writes its reasons in English and keeps what each sentence was made of (a
template and its values, :class:`routing.model.Unplanned`). Here the same sentence is said in
Dutch. Plans stored before templates existed, and any sentence without a translation, keep
their English text: a reason is never lost over a translation.
"""

from __future__ import annotations

from typing import Mapping

from routing.solver import advice
from routing.solver import reasons as core

DUTCH: dict[str, str] = {
    "no assistant works today": "er werkt vandaag geen assistent",
    "locked to {name}, who cannot do it in their shift {shift}; another assistant could":
        "vastgezet bij {name}, die het in de dienst {shift} niet kan doen; een andere assistent "
        "wel",
    "crate capacity: the order needs {size} crate units, the largest load an assistant can carry "
    "is {largest}":
        "kratcapaciteit: de bestelling neemt {size} kratten in, de grootste lading die een "
        "assistent kan meenemen is {largest}",
    "hot meal: the door is {minutes} min from {place}, more than the {limit} min a hot meal may "
    "travel":
        "warme maaltijd: de deur is {minutes} min van {place}, meer dan de {limit} min die een "
        "warme maaltijd onderweg mag zijn",
    "no assistant has a shift covering {windows}":
        "geen assistent heeft een dienst die {windows} dekt",
    "time window {windows} has passed (it is now {now})":
        "het tijdvenster {windows} is voorbij (het is nu {now})",
    "time window {windows} cannot be reached after {place} opens at {opens}":
        "het tijdvenster {windows} is niet te halen nadat {place} om {opens} opengaat",
    "time window {windows} cannot be reached from the start of any shift in time":
        "het tijdvenster {windows} is vanaf het begin van geen enkele dienst op tijd te halen",
    "locked at stop {position} of the round of {name}; no plan keeps it there (move or unlock "
    "it)":
        "vastgezet als stop {position} van de ronde van {name}; geen planning houdt hem daar "
        "(verplaats of maak los)",
    core.FULL:
        "de dag is vol: op elke plek in elke ronde zou het een tijdvenster, het einde van een "
        "dienst, een pauze of de kratcapaciteit breken (zet een assistent extra in of verplaats "
        "de bestelling)",
    core.FULL_STOPPED:
        "de dag is vol: op elke plek in elke ronde zou het een tijdvenster, het einde van een "
        "dienst, een pauze of de kratcapaciteit breken; opnieuw plannen met meer tijd kan nog "
        "ruimte maken",
    "no plan was found in the time given": "in de gegeven tijd is geen planning gevonden",
    advice.MAKE_WAY: "past in de ronde van {name} als {what} {ids} naar een andere dag gaat",
    advice.MAKE_WAY_MANY: "past in de ronde van {name} als {what} {ids} naar een andere dag gaan",
    advice.LONGER_SHIFT: "past in de ronde van {name} als de dienst tot {until} duurt",
    advice.EXTRA: "past met een {nth} assistent van {start} tot {end}",
}

#: Words the core puts into its sentences.
WORDS: dict[str, str] = {
    "the pharmacy": "de apotheek",
    "the meal kitchen": "de maaltijdkeuken",
    "the parcel point": "het pakketpunt",
    "the pickup place": "het ophaalpunt",
    core.SHIFT: "van de dienst",
    # what makes way (advice.make_way) and which extra assistant (advice.extra_assistant)
    "medicine": "medicijn", "medicines": "medicijnen", "meal": "maaltijd", "meals": "maaltijden",
    "parcel": "pakket", "parcels": "pakketten", "visit": "bezoek", "visits": "bezoeken",
    "job": "klusje", "jobs": "klusjes", "order": "bestelling", "orders": "bestellingen",
    "second": "tweede", "third": "derde", "fourth": "vierde", "fifth": "vijfde", "sixth": "zesde",
    "seventh": "zevende", "eighth": "achtste",
}


def say(unplanned: Mapping, language: str) -> str:
    """The reason of a stored ``Unplanned`` (its ``to_dict``) in ``language``."""
    template = unplanned.get("template") or ""
    if language != "nl" or template not in DUTCH:
        return unplanned["reason"]
    values = {k: WORDS.get(v, v) for k, v in (unplanned.get("params") or {}).items()}
    return DUTCH[template].format(**values)
