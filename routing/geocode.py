"""Offline geocoding from the OSM ``addr:*`` tags of the area's own extract.

A partner types an address the way people write them — "Abstederdijk 12a, 3582 BJ",
"abstederdijk 12 A", "Annankatu 25" — and gets back a point, or an error that names the closest
known addresses. It never guesses: an unknown house number is an error, not the neighbour's door.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from math import cos, radians, hypot
from typing import Callable, Iterable

from .osm import AddressRecord

NL_POSTCODE = re.compile(r"\b(\d{4})\s?([a-zA-Z]{2})\b")
FI_POSTCODE = re.compile(r"\b(\d{5})\b")
LATLON = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
STREET_NUMBER = re.compile(r"^(?P<street>.*?[^\d\s])\s*(?P<number>\d+.*)$")
HOUSENUMBER = re.compile(r"^(?P<number>\d+)\s*[-/ ]?\s*(?P<addition>[0-9a-z ]*)$")
SAME_PLACE_M = 60.0


class AddressNotFound(ValueError):
    """The address is not in the area's OSM data; ``candidates`` are the closest known ones.

    ``template`` and ``params`` are what ``reason`` was made of, so that a page can say the
    same sentence in its own language (the web app's catalogue holds every template here).
    """

    def __init__(self, query: str, template: str, candidates: Iterable[str] = (), **params):
        self.query = query
        self.template = template
        self.params = params
        self.reason = template.format(**params)
        self.candidates = list(candidates)
        reason = self.reason
        hint = f" Did you mean: {'; '.join(self.candidates)}?" if self.candidates else ""
        super().__init__(f"{reason}.{hint}")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A geocoded point. ``buurt`` is None when the point lies outside the area's buurten."""

    lat: float
    lon: float
    address: str
    buurt: str | None


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[.'`’]", "", text)
    return re.sub(r"[\s,]+", " ", text).strip()


def _label_key(street: str, housenumber: str) -> str:
    """One key per address however its number is spelled: "16 B", "16-b" and "16b" agree."""
    return re.sub(r"(\d)[\s/-]+(?=[a-z])", r"\1", fold(f"{street} {housenumber}"))


def fold_postcode(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def parse_housenumber(text: str) -> tuple[int, str] | None:
    """"12a", "12 A", "12-bis", "12-2" → (12, "a"), (12, "a"), (12, "bis"), (12, "2")."""
    match = HOUSENUMBER.match(fold(text))
    if not match:
        return None
    return int(match["number"]), match["addition"].replace(" ", "")


def _numbers(housenumber: str) -> list[tuple[int, str]]:
    """The keys an OSM ``addr:housenumber`` answers to: itself, and each number of a range
    such as "22-24" or a list such as "1;3"."""
    keys = []
    for part in re.split(r"[;,]", housenumber):
        parsed = parse_housenumber(part)
        if parsed is None:
            continue
        keys.append(parsed)
        number, addition = parsed
        if addition.isdigit() and 0 < int(addition) - number <= 20:
            step = 2 if (int(addition) - number) % 2 == 0 else 1
            keys += [(n, "") for n in range(number, int(addition) + 1, step)]
    return keys


@dataclass(frozen=True, slots=True)
class _Entry:
    street: str
    housenumber: str
    postcode: str
    lat: float
    lon: float
    is_node: bool

    @property
    def label(self) -> str:
        text = f"{self.street} {self.housenumber}"
        return f"{text}, {self.postcode}" if self.postcode else text


def _metres(a: _Entry, b: _Entry) -> float:
    return hypot((a.lon - b.lon) * 111_320 * cos(radians(a.lat)), (a.lat - b.lat) * 110_540)


class Geocoder:
    """Address lookup over one area's OSM addresses.

    Parameters
    ----------
    addresses : iterable of AddressRecord
        ``addr:*`` records from the extract (nodes and building centroids).
    buurt_of : callable (lat, lon) → str | None
        Names the buurt a point lies in.
    bounds : (west, south, east, north)
        Coordinates outside these have no street data and are refused.
    """

    def __init__(self, addresses: Iterable[AddressRecord],
                 buurt_of: Callable[[float, float], str | None],
                 bounds: tuple[float, float, float, float]):
        self.buurt_of = buurt_of
        self.bounds = bounds
        self._index: dict[tuple[str, int, str], list[_Entry]] = defaultdict(list)
        self._streets: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        ranks: dict[str, tuple[bool, bool]] = {}
        for rec in addresses:
            entry = _Entry(rec.street, rec.housenumber, rec.postcode, rec.lat, rec.lon, rec.is_node)
            street = fold(rec.street)
            keys = _numbers(rec.housenumber)
            if not keys:  # "33 Keskuskatu 5": not a house number anyone can type back
                continue
            self._streets.setdefault(street, rec.street)
            for number, addition in keys:
                self._index[(street, number, addition)].append(entry)
            key = f"{street} {keys[0][0]}{keys[0][1]}"
            rank = (parse_housenumber(rec.housenumber) is not None, bool(rec.postcode))
            if rank > ranks.get(key, (False, False)) or key not in self._labels:
                self._labels[key] = entry.label
                ranks[key] = rank
        self._sorted_labels = sorted(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def lookup(self, query: str) -> GeoPoint:
        """Resolve an address or a "lat, lon" pair to a point; raise AddressNotFound."""
        if not query or not query.strip():
            raise AddressNotFound(query or "", "The address is empty")
        coords = LATLON.match(query)
        if coords:
            return self._coordinates(query, float(coords[1]), float(coords[2]))
        postcode, rest = _split_postcode(query)
        parts = rest.split(",")
        # Street names may hold a comma themselves ("Kaivopiha, Mannerheimintie"): take the
        # shortest comma-separated prefix that is a known street and a house number.
        prefixes = [",".join(parts[:k]).strip() for k in range(1, len(parts) + 1)]
        matches = [m for m in map(STREET_NUMBER.match, prefixes) if m]
        match = next((m for m in matches if fold(m["street"]) in self._streets
                      and parse_housenumber(m["number"])), matches[0] if matches else None)
        if not match:
            raise AddressNotFound(query, "'{address}' has no house number", self._close_streets(
                fold(parts[0])), address=query)
        street = fold(match["street"])
        parsed = parse_housenumber(match["number"])
        if street not in self._streets:
            raise AddressNotFound(query, "Street '{street}' is not in the map data of this area",
                                  self._close_streets(street), street=match["street"].strip())
        if parsed is None:
            raise AddressNotFound(query, "House number '{number}' is not understood",
                                  self._close_numbers(street, 0), number=match["number"])
        entries = self._index.get((street, *parsed), [])
        if postcode:
            matching = [e for e in entries if not e.postcode or fold_postcode(e.postcode)
                        == postcode]
            if entries and not matching:
                raise AddressNotFound(query, "Postcode {postcode} does not match {address}",
                                      [e.label for e in entries[:5]], postcode=postcode,
                                      address=entries[0].label)
            entries = matching
        if not entries:
            raise AddressNotFound(query, "{address} is not in the map data of this area",
                                  self._close_numbers(street, parsed[0]),
                                  address=f"{self._streets[street]} {match['number'].strip()}")
        # "18" is better answered by the building tagged 18 than by one tagged "14-20".
        entries = [e for e in entries if parse_housenumber(e.housenumber) == parsed] or entries
        if len({e.postcode for e in entries if e.postcode}) > 1 and any(
                _metres(e, entries[0]) > SAME_PLACE_M for e in entries):
            raise AddressNotFound(query, "This address exists in more than one place; add the "
                                  "postcode", sorted({e.label for e in entries}))
        # An address node marks the entrance; a large building's centre can be a block away.
        entries = [e for e in entries if e.is_node] or entries
        lat = sum(e.lat for e in entries) / len(entries)
        lon = sum(e.lon for e in entries) / len(entries)
        label = self._labels[f"{street} {parsed[0]}{parsed[1]}"]
        return GeoPoint(lat, lon, label, self.buurt_of(lat, lon))

    def labels(self) -> list[str]:
        """Every distinct address of the area, as display labels, sorted."""
        return [self._labels[k] for k in self._sorted_labels]

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Known addresses starting with ``prefix`` (folded), for autocomplete."""
        key = _label_key(prefix, "")
        if not key:
            return []
        from bisect import bisect_left

        out: list[str] = []
        for label in self._sorted_labels[bisect_left(self._sorted_labels, key):]:
            if not label.startswith(key) or len(out) >= limit:
                break
            out.append(self._labels[label])
        return out

    def _coordinates(self, query: str, lat: float, lon: float) -> GeoPoint:
        west, south, east, north = self.bounds
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise AddressNotFound(query, "Coordinates must be 'latitude, longitude' in degrees")
        if not (west <= lon <= east and south <= lat <= north):
            raise AddressNotFound(query, "{point} lies outside the map data of this area",
                                  point=f"{lat:.5f}, {lon:.5f}")
        return GeoPoint(lat, lon, f"{lat:.5f}, {lon:.5f}", self.buurt_of(lat, lon))

    def _close_streets(self, street: str) -> list[str]:
        names = difflib.get_close_matches(street, list(self._streets), n=5, cutoff=0.6)
        return [self._streets[n] for n in names]

    def _close_numbers(self, street: str, number: int) -> list[str]:
        keys = {f"{street} {n}{a}": (abs(n - number), n, a)
                for (s, n, a) in self._index if s == street and f"{street} {n}{a}" in self._labels}
        return [self._labels[k] for k in sorted(keys, key=keys.__getitem__)[:5]]


def _split_postcode(query: str) -> tuple[str, str]:
    """Take a Dutch ("3582 BJ") or Finnish ("00170") postcode out of the query."""
    match = NL_POSTCODE.search(query)
    if match:
        return (match[1] + match[2]).upper(), query[:match.start()] + query[match.end():]
    comma = query.find(",")
    match = FI_POSTCODE.search(query, comma) if comma >= 0 else None
    if match:
        return match[1], query[:match.start()] + query[match.end():]
    return "", query
