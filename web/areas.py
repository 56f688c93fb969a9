"""The area a cooperative plans on, loaded once per process (``routing.area.load_area``
caches). Each organisation names its area; without one, the service's default (``AREA``)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from routing.area import Area, load_area


def area_for(name: str | None) -> Area:
    return load_area(name or current_app.config["AREA"])


def current_area(session: Session | None = None) -> Area:
    """The area of the cooperative the session (default: the request's) is scoped to."""
    from . import tenancy
    from .db import db

    org = tenancy.organisation(session if session is not None else db())
    return area_for(org.area if org is not None else None)
