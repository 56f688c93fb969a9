"""The area the planner serves, loaded once per process (``routing.area.load_area`` caches)."""

from __future__ import annotations

from flask import current_app

from routing.area import Area, load_area


def current_area() -> Area:
    return load_area(current_app.config["AREA"])
