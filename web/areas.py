"""The areas the planner serves. One process serves several (one per cooperative), loaded on
demand and kept within a memory budget by ``routing.area.load_area``."""

from __future__ import annotations

from flask import current_app

from routing.area import Area, load_area


def area_for(name: str | None) -> Area:
    """The area called ``name``; None means the app's own (``AREA``, or the default area)."""
    return load_area(name or current_app.config["AREA"])


def current_area() -> Area:
    return area_for(None)
