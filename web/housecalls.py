"""House-call campaigns in the store: their doors, the attempts, and the calls of a day.

A campaign's doors are the addresses of its buurten (or streets) in the area's own address
data (``routing.area``'s geocoder): doors, not residents, so a campaign holds no personal
data. Each planning run asks :func:`plan_calls` to fill the new plan's slack with the doors
that are due (``routing.housecalls``); the calls go into the plan's payload beside the rounds
(``payload["house_calls"]``), never into them, so every page about orders stays as it was.
The independent checker sees the rounds with the calls in them before they are kept.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing import housecalls
from routing.check import check
from routing.model import Plan as CorePlan
from routing.model import Problem

from .facts import CLIENT_ID
from .refused import Refused
from .store import (HOUSE_CALL_OUTCOMES, REACHED, Campaign, CampaignDoor, HouseCall, User,
                    get)

log = logging.getLogger(__name__)
STREET = re.compile(r"^(?P<street>.*?[^\d\s])\s*\d")
MAX_AGO = 24 * 3600


@dataclass(frozen=True)
class AreaDoor:
    address: str
    street: str
    buurt: str
    lat: float
    lon: float


def street_of(address: str) -> str:
    match = STREET.match(address)
    return match["street"].strip() if match else address


def area_doors(area, buurten: list[str], streets: list[str]) -> list[AreaDoor]:
    """Every address of the area in ``buurten``, or on ``streets`` (either may be empty)."""
    wanted = {s.casefold() for s in streets}
    out = []
    for label in area.geocoder.labels():
        point = area.geocoder.lookup(label)
        street = street_of(point.address)
        if (point.buurt in buurten) or (street.casefold() in wanted):
            out.append(AreaDoor(point.address, street, point.buurt or "", point.lat,
                                point.lon))
    return sorted(set(out), key=lambda d: (d.buurt, d.street, d.address))


def create(session: Session, area, name: str, buurten: list[str], streets: list[str],
           start: date, end: date, min_interval_days: int, call_minutes: int,
           user_id: int | None) -> Campaign:
    """A campaign with its doors (the caller commits)."""
    campaign = Campaign(name=name, buurten=buurten, streets=streets, start=start, end=end,
                        min_interval_days=min_interval_days, call_minutes=call_minutes,
                        active=True, created_by=user_id)
    session.add(campaign)
    session.flush()
    seen = set()
    for door in area_doors(area, buurten, streets):
        if door.address in seen:
            continue
        seen.add(door.address)
        session.add(CampaignDoor(campaign_id=campaign.id, address=door.address,
                                 street=door.street, buurt=door.buurt, lat=door.lat,
                                 lon=door.lon))
    session.flush()
    return campaign


def attempts_of(session: Session, door_ids: list[int]) -> dict[int, list[HouseCall]]:
    out: dict[int, list[HouseCall]] = defaultdict(list)
    for start in range(0, len(door_ids), 500):
        for call in session.scalars(select(HouseCall).where(
                HouseCall.door_id.in_(door_ids[start:start + 500])).order_by(HouseCall.id)):
            out[call.door_id].append(call)
    return out


def core_door(door: CampaignDoor, calls: list[HouseCall], location: int) -> housecalls.Door:
    return housecalls.Door(str(door.id), location, door.address, tuple(
        housecalls.Attempt(c.service_date, c.at_seconds, c.outcome) for c in calls))


def due_doors(session: Session, day: date) -> list[tuple[Campaign, list[tuple[CampaignDoor,
                                                                             list[HouseCall]]]]]:
    """Per campaign running on ``day``, its doors that may be rung that day."""
    out = []
    for campaign in session.scalars(select(Campaign).where(
            Campaign.active, Campaign.start <= day, Campaign.end >= day).order_by(Campaign.id)):
        doors = list(session.scalars(select(CampaignDoor).where(
            CampaignDoor.campaign_id == campaign.id).order_by(CampaignDoor.id)))
        history = attempts_of(session, [d.id for d in doors])
        due = [(d, history.get(d.id, [])) for d in doors
               if housecalls.due(core_door(d, history.get(d.id, []), 0), day,
                                 campaign.min_interval_days)]
        if due:
            out.append((campaign, due))
    return out


def plan_calls(session: Session, area, problem: Problem, points: list, plan: CorePlan,
               day: date) -> list[dict]:
    """The house calls for ``plan`` (as payload rows), or none when no campaign runs or the
    checker finds anything wrong with the rounds they would be in. ``points`` are the
    (lat, lon) of the problem's matrix indices."""
    campaigns = due_doors(session, day)
    if not campaigns:
        return []
    points = [tuple(p) for p in points]
    located: list[tuple[Campaign, CampaignDoor, list[HouseCall], int]] = []
    for campaign, doors in campaigns:
        for door, calls in doors:
            located.append((campaign, door, calls, len(points)))
            points.append((door.lat, door.lon))
    matrices = {mode: area.matrix(points, mode) for mode in problem.durations}
    extended = housecalls.with_doors(
        problem, {m: np.ceil(np.asarray(t.seconds)).astype(np.int64) for m, t in matrices.items()},
        {m: np.asarray(t.metres, dtype=float) for m, t in matrices.items()})
    rows, current, current_plan = [], extended, plan
    for campaign, _doors in campaigns:
        mine = [(door, core_door(door, calls, at)) for c, door, calls, at in located
                if c.id == campaign.id]
        result = housecalls.insert(current, current_plan, [d for _door, d in mine], day,
                                   campaign.call_minutes * 60)
        by_id = {str(door.id): door for door, _d in mine}
        for call in result.calls:
            door = by_id[call.door_id]
            rows.append({"door_id": door.id, "campaign_id": campaign.id,
                         "assistant_id": call.assistant_id, "after": call.after,
                         "start": call.start, "end": call.end, "part": call.part,
                         "address": door.address})
        current, current_plan = result.problem, result.plan
    violations = check(current, current_plan)
    if violations:
        log.warning("house calls left out of the plan of %s: %s", day, violations[:3])
        return []
    return sorted(rows, key=lambda r: (r["assistant_id"], r["start"]))


def record(session: Session, body: dict, user: User, today: date) -> tuple[HouseCall, bool]:
    """An assistant's outcome at a door planned in her round today (the caller commits)."""
    from . import planning

    client_id = body.get("event_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Refused("event_id", "must be 8 to 40 letters, digits, '-' or '_'")
    outcome = body.get("outcome")
    if outcome not in HOUSE_CALL_OUTCOMES:
        raise Refused("outcome", "must be one of {options}",
                      options=", ".join(HOUSE_CALL_OUTCOMES))
    raw = body.get("door_id")
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise Refused("door_id", "must be a door number")
    ago = body.get("ago", 0)
    if isinstance(ago, str) and ago.isascii() and ago.isdigit():
        ago = int(ago)
    if not isinstance(ago, int) or isinstance(ago, bool) or not 0 <= ago <= MAX_AGO:
        raise Refused("ago", "must be the whole seconds since the tap (0 to {most})",
                      most=MAX_AGO)
    stored = session.scalar(select(HouseCall).where(HouseCall.client_id == client_id))
    if stored is not None:
        if stored.door_id != raw or stored.outcome != outcome:
            raise Refused("event_id", "was used for another house call", 409)
        return stored, True
    door = get(session, CampaignDoor, raw)
    plan = planning.current_plan(session, today)
    planned = {r["door_id"]: r for r in (plan.payload.get("house_calls", ())
                                         if plan is not None else ())
               if r["assistant_id"] == str(user.assistant_id)}
    if door is None or door.id not in planned:
        raise Refused("door_id", "is not a house call of your round today", 404)
    from .db import app_object

    now = planning.clock_now(app_object(), session, today)
    at = max(0, (now if now is not None else planned[door.id]["start"]) - ago)
    call = HouseCall(client_id=client_id, door_id=door.id, service_date=today,
                     assistant_id=user.assistant_id, at_seconds=at, outcome=outcome,
                     user_id=user.id)
    session.add(call)
    session.flush()
    return call, False


@dataclass
class Progress:
    """A campaign's coverage per buurt and per street: doors, reached, talked to."""

    doors: Counter
    reached: Counter
    talked: Counter
    attempts: int


def progress(session: Session, campaign: Campaign) -> dict[str, Progress]:
    doors = list(session.scalars(select(CampaignDoor).where(
        CampaignDoor.campaign_id == campaign.id)))
    history = attempts_of(session, [d.id for d in doors])
    out: dict[str, Progress] = {}
    for door in doors:
        p = out.setdefault(door.buurt or "—", Progress(Counter(), Counter(), Counter(), 0))
        calls = history.get(door.id, [])
        p.doors[door.street] += 1
        p.attempts += len(calls)
        if any(c.outcome in REACHED for c in calls):
            p.reached[door.street] += 1
        if any(c.outcome == "talked" for c in calls):
            p.talked[door.street] += 1
    return out


def street_coverage(session: Session, campaign: Campaign) -> list:
    """Per street of the campaign, the share of its doors reached (for the coverage map)."""
    from routing.mapsvg import StreetCoverage

    doors = list(session.scalars(select(CampaignDoor).where(
        CampaignDoor.campaign_id == campaign.id)))
    history = attempts_of(session, [d.id for d in doors])
    by_street: dict[str, list[CampaignDoor]] = defaultdict(list)
    for door in doors:
        by_street[door.street].append(door)
    return [StreetCoverage(street, sum(any(c.outcome in REACHED for c in history.get(d.id, []))
                                       for d in ds) / len(ds),
                           tuple((d.lat, d.lon) for d in ds))
            for street, ds in sorted(by_street.items())]
