"""The demo day in the store: ``routing.demo.demo_day`` (the same seeded day the solver's tests
and benchmarks use) written as partners, assistants, shifts, orders and logins.

Every order goes through the partners' validator, exactly as if a partner had typed it; one
that does not pass is reported back, never stored half. Residents are initials only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from routing.demo import demo_day

from . import orders, organisations, tenancy
from .auth import create_user, new_token
from .i18n import english
from .store import Assistant, Partner, Shift

COOPERATIVE = "Wijkcoöperatie"
DEMO_SLUG = "demo"
USERNAMES = {"pharmacy": "apotheek", "meal_kitchen": "keuken", "parcel_point": "pakketpunt",
             "cooperative": "wijk"}


@dataclass
class DemoAccounts:
    password: str
    users: list[tuple[str, str, str]]  # (username, role, whose)
    tokens: dict[str, str]  # partner name → API token
    skipped: list[str] = field(default_factory=list)  # demo orders that did not validate


def seed(session: Session, area, day: date, seed_value: int = 1, orders_count: int = 70,
         password: str | None = None, slug: str = DEMO_SLUG, prefix: str = "") -> DemoAccounts:
    """Add a demo cooperative (``slug``) with the demo day on ``day``; commit; return the
    accounts. Its usernames start with ``prefix`` (several demo cooperatives side by side)."""
    plan = demo_day(area, orders=orders_count, assistants=3, seed=seed_value)
    password = password or secrets.token_urlsafe(9)
    with tenancy.system(session, "creating the demo cooperative"):
        org = organisations.create(session, slug, COOPERATIVE, area=area.name)
        session.commit()
    tenancy.use(session, tenancy.of(org.id))
    partners = {name: Partner(name=name, kind=place.kind, pickup_name=name,
                              pickup_address=place.address, pickup_lat=place.lat,
                              pickup_lon=place.lon)
                for name, place in plan.partners.items()}
    for partner in partners.values():
        organisations.link(session, org, partner)
    partners[COOPERATIVE] = organisations.own_partner(session)
    assistants = []
    for a in plan.assistants:
        assistant = Assistant(name=a.name, mode=a.mode, home_buurt=a.buurt, capacity=a.capacity)
        session.add(assistant)
        session.add(Shift(assistant=assistant, service_date=day, start=a.shift[0],
                          end=a.shift[1], break_from=a.break_window[0],
                          break_until=a.break_window[1], break_minutes=a.break_min,
                          start_address=a.start_address, start_lat=plan.base.lat,
                          start_lon=plan.base.lon))
        assistants.append(assistant)
    skipped = []
    for o in plan.orders:
        partner = partners[o.partner]
        payload = {"recipient": o.resident, "address": o.address, "kind": o.kind,
                   "service_date": day.isoformat(), "reference": o.ref,
                   "windows": [{"start": o.window[0], "end": o.window[1]}],
                   "praatje_minutes": o.praatje_min, "size": o.size, "hot_meal": o.hot_meal,
                   "ready_time": o.ready}
        draft, errors = orders.validate({k: v for k, v in payload.items() if v is not None},
                                        partner, area, day, english)
        if errors:
            skipped.append(f"{o.ref}: " + "; ".join(f"{k} {v}" for k, v in errors.items()))
            continue
        orders.create(session, partner, draft)
    users = [(prefix + "coordinator", "coordinator", COOPERATIVE)]
    create_user(session, prefix + "coordinator", password, "coordinator", org_id=org.id)
    create_user(session, prefix + "privacy", password, "privacy_officer", org_id=org.id)
    users.append((prefix + "privacy", "privacy_officer", COOPERATIVE))
    if not prefix:  # the service's own admin, once
        create_user(session, "beheer", password, "service_admin")
        users.append(("beheer", "service_admin", "Buurtroute"))
    for assistant in assistants:
        name = prefix + assistant.name.lower()
        create_user(session, name, password, "assistant", assistant=assistant, org_id=org.id)
        users.append((name, "assistant", assistant.name))
    tokens: dict[str, str] = {}
    taken: set[str] = set()
    for partner in partners.values():
        username = prefix + USERNAMES[partner.kind]
        username += str(sum(u.startswith(username) for u in taken) + 1) \
            if partner.kind == "pharmacy" else ""
        taken.add(username)
        create_user(session, username, password, "partner", partner=partner)
        users.append((username, "partner", partner.name))
        tokens[partner.name] = new_token(session, partner, "demo")
    session.commit()
    return DemoAccounts(password, users, tokens, skipped)
