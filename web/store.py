"""The planner's store: SQLAlchemy 2.x models and session handling.

SQLite (one file, WAL mode) unless ``DATABASE_URL`` names another database; the same code runs
on PostgreSQL. The schema is owned by the Alembic migrations in ``web/migrations``; the models
here are what the code reads and writes. Residents hold the least data the round needs. Nothing
is overwritten silently: an order's status changes are appended to ``order_events`` and a
re-plan adds a new ``plans`` row that points at the one it supersedes.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, cast

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, create_engine, event, text)
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, mapped_column, relationship,
                            sessionmaker)
from sqlalchemy.sql.expression import Executable

#: "privacy_officer" reads the access log (issue 13); nothing else. "service_admin" runs the
#: hosted service: creates organisations and their first coordinator, and sees no residents.
ROLES = ("coordinator", "assistant", "partner", "privacy_officer", "service_admin")
#: Roles that belong to one organisation (``User.org_id``); partners' users belong to a
#: partner, which may serve several organisations (``PartnerLink``).
ORG_ROLES = ("coordinator", "assistant", "privacy_officer")
PARTNER_KINDS = ("pharmacy", "meal_kitchen", "parcel_point", "cooperative")
ORDER_KINDS = ("medicine", "meal", "parcel", "visit", "klusje")
#: Which order kinds each kind of partner may submit (the cooperative books house calls, jobs).
KINDS_OF_PARTNER = {
    "pharmacy": ("medicine",),
    "meal_kitchen": ("meal",),
    "parcel_point": ("parcel",),
    "cooperative": ("visit", "klusje"),
}
STATUSES = ("submitted", "planned", "picked_up", "delivered", "not_home", "returned",
            "cancelled")
#: Allowed status changes; anything else is refused with a reason. "returned": the goods of a
#: not-at-home delivery are back at the pickup place (a second try starts from "submitted").
TRANSITIONS = {
    "submitted": ("planned", "cancelled"),
    "planned": ("submitted", "picked_up", "delivered", "not_home", "cancelled"),
    "picked_up": ("delivered", "not_home"),
    "not_home": ("submitted", "cancelled", "returned"),
    "returned": ("submitted", "cancelled"),
    "delivered": (),
    "cancelled": (),
}
#: Statuses of a delivery that happened: the assistant was at the door.
VISITED = ("delivered", "not_home", "returned")
#: ... and nobody took the goods.
MISSED = ("not_home", "returned")
MODES = ("walk", "bike", "cargo_bike")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def affected(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and say how many rows it touched: ``Session.execute`` returns a
    CursorResult for those, but is typed as returning the general Result."""
    result = cast("CursorResult[Any]", session.execute(statement))
    return result.rowcount


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    """A neighbourhood cooperative on the hosted service. It owns its assistants, residents,
    orders, plans and facts (every row of a :class:`Tenant` table names it) and its settings.
    Several organisations may share one area's streets."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short name in URLs and the API's ``cooperative`` field ("utrecht-oost").
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The area whose streets it plans on; None: the service's default area.
    area: Mapped[str | None] = mapped_column(String(60))
    time_zone: Mapped[str] = mapped_column(String(40), default="Europe/Amsterdam")
    #: Its own retention of orders in days; None: the service's default (``RETAIN_ORDER_DAYS``).
    retain_order_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Where its safety alerts go besides the day screen (comma-separated e-mail addresses
    #: and phone numbers); empty: the service's ``ALERT_EMAIL_TO`` / ``ALERT_SMS_TO``.
    alert_email: Mapped[str] = mapped_column(String(300), default="")
    alert_sms: Mapped[str] = mapped_column(String(200), default="")


class Tenant:
    """A row owned by one organisation. Every ORM query of these tables is limited to the
    organisations of the session's scope, and a session without a scope may not query them
    at all (``web.tenancy``): forgetting a filter cannot leak another cooperative's data."""

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)


class Partner(Base):
    """A pharmacy, meal kitchen, parcel point or the cooperative itself."""

    __tablename__ = "partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    #: Default pickup place: where this partner's goods are collected.
    pickup_name: Mapped[str] = mapped_column(String(120), default="")
    pickup_address: Mapped[str] = mapped_column(String(200), default="")
    pickup_lat: Mapped[float | None]
    pickup_lon: Mapped[float | None]
    #: The pickup place's opening hours: {"0": [["09:00", "17:30"]], ...} by weekday (0 is
    #: Monday); None: no hours given (open whenever an order is ready). A weekday missing
    #: from a given set is a closed day.
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Minutes it takes to collect goods there; None: the planner's default (one minute).
    handling_minutes: Mapped[int | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def order_kinds(self) -> tuple[str, ...]:
        return KINDS_OF_PARTNER.get(self.kind, ())


class PartnerLink(Tenant, Base):
    """A partner serving an organisation. A pharmacy chain may serve several cooperatives; in
    each it sees only its own orders. The link makes the partner visible to the organisation
    (``web.tenancy`` scopes partners through their links)."""

    __tablename__ = "partner_links"
    __table_args__ = (UniqueConstraint("org_id", "partner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assistant(Tenant, Base):
    __tablename__ = "assistants"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    mode: Mapped[str] = mapped_column(String(12), default="bike")
    home_buurt: Mapped[str | None] = mapped_column(String(80))
    #: Crate units they can carry; None: the usual for their mode.
    capacity: Mapped[int | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Where their day starts and ends (the buurthuis, their home, a bike shed); no start:
    #: the area's community centre, no end: back where they started.
    start_address: Mapped[str] = mapped_column(String(200), default="")
    start_lat: Mapped[float | None]
    start_lon: Mapped[float | None]
    end_address: Mapped[str] = mapped_column(String(200), default="")
    end_lat: Mapped[float | None]
    end_lon: Mapped[float | None]


class User(Base):
    """A login. Partners' users belong to one partner; assistants' users to one assistant."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    assistant_id: Mapped[int | None] = mapped_column(ForeignKey("assistants.id"))
    #: The organisation of a coordinator, assistant or privacy officer (``ORG_ROLES``).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="nl")
    #: Where invitations and reset links are mailed (when SMTP is configured); optional.
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    partner: Mapped[Partner | None] = relationship()
    assistant: Mapped[Assistant | None] = relationship()


class ApiToken(Base):
    """A partner's API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    partner: Mapped[Partner] = relationship()


class Resident(Tenant, Base):
    """The least the round needs: a name or initials, the address, a phone only if needed."""

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("org_id", "name", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float]
    lon: Mapped[float]
    buurt: Mapped[str | None] = mapped_column(String(80))
    #: Set by the coordinator only; a partner's phone number stays on its own order, so one
    #: partner never sees a number another partner gave.
    phone: Mapped[str | None] = mapped_column(String(32))
    #: The resident's usual praatje; None: the default for the kind of visit.
    praatje_minutes: Mapped[int | None]
    regular_assistant_id: Mapped[int | None] = mapped_column(ForeignKey("assistants.id"))
    #: The service day of the newest order the retention purge removed: a resident without
    #: orders is kept for ``RETAIN_IDLE_RESIDENT_DAYS`` after it (``web.retention``).
    last_order_date: Mapped[date | None] = mapped_column(Date)
    #: False once the resident moved away or died: no new orders, standing orders stop.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Someone to call when the resident does not open (a neighbour, a daughter).
    contact_name: Mapped[str | None] = mapped_column(String(80))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    #: What the assistant needs at the door ("ring twice, side entrance"); never medical.
    door_note: Mapped[str] = mapped_column(String(300), default="")
    #: The resident agreed that the contact is called when they do not open (a safety alert).
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)

    regular_assistant: Mapped[Assistant | None] = relationship()


class Order(Tenant, Base):
    __tablename__ = "orders"
    #: A standing order makes at most one order per day: the database refuses a second, so
    #: two processes making a day's orders at once make one (``web.standing.materialise``).
    __table_args__ = (UniqueConstraint("partner_id", "reference"),
                      UniqueConstraint("standing_order_id", "service_date"))
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    service_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    #: Only if the assistant must call ahead (kept per order: see ``Resident.phone``).
    phone: Mapped[str | None] = mapped_column(String(32))
    #: Time windows as [["HH:MM", "HH:MM"], ...]; empty means any time in the shift.
    windows: Mapped[list[Any]] = mapped_column(default=list)
    pickup_name: Mapped[str | None] = mapped_column(String(120))
    pickup_address: Mapped[str | None] = mapped_column(String(200))
    pickup_lat: Mapped[float | None]
    pickup_lon: Mapped[float | None]
    ready_time: Mapped[str | None] = mapped_column(String(5))
    praatje_minutes: Mapped[int | None]
    size: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    hot_meal: Mapped[bool] = mapped_column(Boolean, default=False)
    in_person: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="submitted", index=True)
    #: A parcel that may go to a later day, up to this one, when its day has no room for it
    #: (``web.standing.defer_flexible``); None: only its own day.
    flexible_until: Mapped[date | None] = mapped_column(Date)
    #: The standing order this order was made from (one per day, see ``__table_args__``).
    standing_order_id: Mapped[int | None] = mapped_column(ForeignKey("standing_orders.id"),
                                                          index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner] = relationship()
    resident: Mapped[Resident] = relationship()
    organisation: Mapped[Organisation] = relationship()
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan")

    @property
    def label(self) -> str:
        """What a route sheet may say about the goods: never a medicine name."""
        return {"medicine": "apotheekpakket", "meal": "maaltijd", "parcel": "pakket",
                "visit": "huisbezoek", "klusje": "klusje"}[self.kind]

    def set_status(self, status: str, user_id: int | None = None, note: str = "") -> None:
        """Move to ``status`` and append the change to the history; refuse illegal moves."""
        if status not in TRANSITIONS.get(self.status, ()):
            raise ValueError(f"an order that is {self.status} cannot become {status}")
        self.status = status
        self.events.append(OrderEvent(org_id=self.org_id, status=status, user_id=user_id,
                                      note=note))


class StandingOrder(Tenant, Base):
    """An order template that repeats: on some weekdays every week, or every N weeks, from a
    start date until an end date (open-ended without one). A day's orders are made from it
    once, by whoever asks for the day first (``web.standing``)."""

    __tablename__ = "standing_orders"
    __table_args__ = (UniqueConstraint("partner_id", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    #: Weekdays it repeats on, Monday 0 .. Sunday 6.
    weekdays: Mapped[list[Any]] = mapped_column(default=list)
    #: 1: every week; 2: every other week (the weeks of ``start_date``, +2, +4, ...).
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(32))
    windows: Mapped[list[Any]] = mapped_column(default=list)
    pickup_name: Mapped[str | None] = mapped_column(String(120))
    pickup_address: Mapped[str | None] = mapped_column(String(200))
    pickup_lat: Mapped[float | None]
    pickup_lon: Mapped[float | None]
    ready_time: Mapped[str | None] = mapped_column(String(5))
    praatje_minutes: Mapped[int | None]
    size: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    hot_meal: Mapped[bool] = mapped_column(Boolean, default=False)
    in_person: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    partner: Mapped[Partner] = relationship()
    resident: Mapped[Resident] = relationship()
    organisation: Mapped[Organisation] = relationship()


class StandingPause(Tenant, Base):
    """Days a standing order makes no orders: a pause (a resident in hospital from ... to
    ...), or one date (an exception, a cancelled occurrence). Without ``standing_order_id``
    it pauses every standing order of the resident (the coordinator's pause)."""

    __tablename__ = "standing_pauses"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    standing_order_id: Mapped[int | None] = mapped_column(ForeignKey("standing_orders.id"),
                                                          index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OrderEvent(Tenant, Base):
    """One line of an order's status history; rows are only ever added."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")

    order: Mapped[Order] = relationship(back_populates="events")


class IdempotencyRecord(Base):
    """An API create made with an ``Idempotency-Key``: replays return the same order."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("partner_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Shift(Tenant, Base):
    __tablename__ = "shifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    assistant_id: Mapped[int] = mapped_column(ForeignKey("assistants.id"), index=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    #: The break (``break_minutes`` long) starts between ``break_from`` and ``break_until``.
    break_from: Mapped[str | None] = mapped_column(String(5))
    break_until: Mapped[str | None] = mapped_column(String(5))
    break_minutes: Mapped[int] = mapped_column(Integer, default=0)
    start_address: Mapped[str] = mapped_column(String(200), default="")
    start_lat: Mapped[float | None]
    start_lon: Mapped[float | None]
    end_address: Mapped[str] = mapped_column(String(200), default="")
    end_lat: Mapped[float | None]
    end_lon: Mapped[float | None]
    #: "template": made from the assistant's weekly availability (remade when it changes);
    #: "hand": added or changed by the coordinator for this day (kept as it is).
    source: Mapped[str] = mapped_column(String(10), default="hand")

    assistant: Mapped[Assistant] = relationship()


#: Why an assistant is away: sick, on holiday, or a day off asked for one date.
ABSENCE_KINDS = ("sick", "holiday", "day_off")


class Availability(Tenant, Base):
    """One weekday of an assistant's usual week (0 is Monday): the shift the template makes."""

    __tablename__ = "availability"
    __table_args__ = (UniqueConstraint("assistant_id", "weekday"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assistant_id: Mapped[int] = mapped_column(ForeignKey("assistants.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    break_from: Mapped[str | None] = mapped_column(String(5))
    break_until: Mapped[str | None] = mapped_column(String(5))
    break_minutes: Mapped[int] = mapped_column(Integer, default=0)


class Absence(Tenant, Base):
    """An assistant away from ``first_day`` to ``last_day`` (both included): no shift then."""

    __tablename__ = "absences"
    id: Mapped[int] = mapped_column(primary_key=True)
    assistant_id: Mapped[int] = mapped_column(ForeignKey("assistants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Plan(Tenant, Base):
    """A planner run for one day. A re-plan adds a row; the old one stays, marked superseded."""

    __tablename__ = "plans"
    #: At most one run per day at a time, also across server processes: the database refuses
    #: a second "running" row for the same day (a partial unique index, SQLite and PostgreSQL).
    __table_args__ = (Index("uq_plans_one_running_per_day", "org_id", "service_date", unique=True,
                            sqlite_where=text("status = 'running'"),
                            postgresql_where=text("status = 'running'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seed: Mapped[int] = mapped_column(Integer, default=0)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The routing core's plan as JSON (routes, visits, times, unplanned orders with reasons).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: "running" while the optimiser works, then "done" (payload complete) or "failed".
    status: Mapped[str] = mapped_column(String(12), default="running")
    error: Mapped[str] = mapped_column(String(200), default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The process running it ("host:pid:token"), so no other process takes a live run for dead.
    runner: Mapped[str] = mapped_column(String(120), default="")
    #: The newest ``plan_requests`` row this run took into account: requests after it are
    #: still to be planned (one follow-up run takes them all).
    upto_request: Mapped[int] = mapped_column(Integer, default=0)
    #: "full" (the whole day searched), "repair" (the previous plan changed as little as
    #: possible) or "undo" (a plan from before a coordinator's change, brought up to date).
    mode: Mapped[str] = mapped_column(String(12), default="full")
    #: How many times this day's requests were tried by a run that was killed (worker gone).
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    #: The independent checker's violations (empty: valid). Only a valid plan becomes current.
    violations: Mapped[list[Any]] = mapped_column(default=list)


class StopLock(Tenant, Base):
    """A coordinator's pin: this order's stop goes to this assistant (at ``position``)."""

    __tablename__ = "stop_locks"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    assistant_id: Mapped[int] = mapped_column(ForeignKey("assistants.id"))
    position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- engine and sessions ---------------------------------------------------------------------

def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    for plain in ("postgres://", "postgresql://"):  # plain URLs: use psycopg 3
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url.removeprefix(plain)
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


MAX_ID = 2**31 - 1
"""Ids are 32-bit on PostgreSQL; a guessed id beyond that is simply not there."""


def get(session: Session, model, ident: int):
    """``session.get`` that answers None for ids no table can hold (instead of overflowing)."""
    return session.get(model, ident) if 0 < ident <= MAX_ID else None


#: What an assistant can record at a stop; "handed_over" is the coordinator's reassignment of
#: goods on board to another assistant.
FACT_ACTIONS = ("picked_up", "delivered", "not_home", "returned", "handed_over")
#: The order status a fact moves to.
FACT_STATUS = {"picked_up": "picked_up", "delivered": "delivered", "not_home": "not_home",
               "returned": "returned"}


class Fact(Tenant, Base):
    """Something that happened on the day, stored before it is acknowledged and never changed.

    ``client_id`` is made by the phone (or the page) for each tap, so a retried request or a
    replayed offline mark is recognised and counted once. Plans are derived from facts: who
    did a stop, and when, comes from here, never from a plan.
    """

    __tablename__ = "facts"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    #: Who has the goods (or stood at the door) after this fact.
    assistant_id: Mapped[int] = mapped_column(ForeignKey("assistants.id"))
    #: A hand-over: who had them before.
    from_assistant_id: Mapped[int | None] = mapped_column(ForeignKey("assistants.id"))
    #: Seconds since local midnight when it happened (the planner's clock).
    at_seconds: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


#: Why a day is planned again; "full" and "undo" are explicit coordinator choices, the rest
#: are repaired locally.
REQUEST_KINDS = ("plan", "full", "mark", "order", "cancel", "move", "lock", "unlock", "undo",
                 "handover")


class PlanRequest(Tenant, Base):
    """A reason to plan a day again. Requests are only added; a run takes all requests up to
    the newest one it saw (``Plan.upto_request``), so requests that arrive during a run
    coalesce into one follow-up run."""

    __tablename__ = "plan_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    #: For a coordinator's change: the current plan when it was made and the order's lock
    #: before it (None: no lock), so the change can be undone.
    base_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    lock_before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The request that undid this one.
    undone_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- accounts: server-side sessions and login throttling (migration 0005) -------------------

class UserSession(Base):
    """One login. The signed cookie holds only a random id whose SHA-256 is stored here, so the
    server can end a session (logout, password change, deactivation) and a replayed cookie
    opens nothing; idle and absolute lifetimes are checked against these times."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Why it ended: "logout", "password", "deactivated", "idle", "expired".
    end_reason: Mapped[str] = mapped_column(String(20), default="")


class LoginThrottle(Base):
    """Failed logins per key (an account, an account from one address, one address), kept in
    the database so every server process and a restart see the same count. ``key_hash`` is a
    keyed hash: neither usernames nor client addresses are stored."""

    __tablename__ = "login_throttle"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)


class UserTotp(Base):
    """A login's TOTP second factor (RFC 6238, as phone authenticator apps make codes).

    ``enabled_at`` is None while the user is still confirming the first code; ``last_step``
    is the time step of the last code used, so an overheard code cannot be used again."""

    __tablename__ = "user_totp"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_step: Mapped[int | None] = mapped_column(Integer)
    #: SHA-256 of the recovery codes not used yet (each opens one login without the app).
    recovery: Mapped[list[Any]] = mapped_column(default=list)


class OneTimeLink(Base):
    """An invitation or a password reset: a random link handed over or mailed once. Only its
    SHA-256 is stored; it expires, and the first use (or a newer link) ends it."""

    __tablename__ = "one_time_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: "invite" (a new login sets its first password) or "reset".
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- privacy: the access log and anonymous statistics (migration 0006) ----------------------

#: What an access did with a resident's data (NEN 7513: view, change, export, ...).
ACCESS_ACTIONS = ("view", "create", "change", "export", "print", "erase", "log_view")


class AccessLog(Base):
    """Who looked at or changed which resident's data, when, in which role (NEN 7513).

    Append-only: the app has no update or delete path, and database triggers (migration
    0006, SQLite and PostgreSQL) refuse UPDATE and DELETE. It holds ids, never names or
    addresses: ``resident_id`` is deliberately not a foreign key, so the log outlives an
    erased resident without naming them."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: coordinator, assistant, partner, privacy_officer, api (a partner's token) or cli.
    role: Mapped[str] = mapped_column(String(20))
    #: The partner of a partner's user or token; None: the cooperative's own people.
    partner_id: Mapped[int | None] = mapped_column(Integer)
    #: The organisation whose data was accessed (its privacy officer reads these rows).
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: On whose behalf, when not the user's own work: "token brt_abc123", "resident's request",
    #: "cli:<system user>".
    on_behalf: Mapped[str] = mapped_column(String(80), default="")
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: A reading of the access log per user names that user here.
    subject_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))
    #: Which part of the data: "orders", "round", "resident", "phone", "all", "access_log", ...
    part: Mapped[str] = mapped_column(String(60))
    #: page, api, pdf, gpx, geojson, json, csv, print or cli.
    channel: Mapped[str] = mapped_column(String(12), default="page")
    #: The Flask endpoint or CLI command that did it.
    endpoint: Mapped[str] = mapped_column(String(60), default="")
    #: Order numbers or field names concerned (ids and names of fields only).
    detail: Mapped[str] = mapped_column(String(200), default="")


class DailyStat(Tenant, Base):
    """Anonymous counts that outlive the orders: per day, buurt, kind and status, how many
    orders and how many praatje minutes. Orders are added here when the retention purge or an
    erasure removes them, so reports over past periods still add up (``web.stats``)."""

    __tablename__ = "daily_stats"
    __table_args__ = (UniqueConstraint("org_id", "service_date", "buurt", "kind", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    buurt: Mapped[str] = mapped_column(String(80), default="")
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    orders: Mapped[int] = mapped_column(Integer, default=0)
    praatje_minutes: Mapped[int] = mapped_column(Integer, default=0)


# --- at the door: safety alerts, signals, house calls (migration 0011) ----------------------

#: An alert's level: the first "niet thuis" on a meal or medicine, or the second in a row.
ALERT_LEVELS = ("alert", "escalated")


class SafetyAlert(Tenant, Base):
    """A resident with a meal or medicine who did not open the door (``web.alerts``).

    One per fact (a replayed mark raises nothing new). ``order_id`` and ``fact_id`` are plain
    numbers, not foreign keys: the alert outlives the order's retention as a count, and an
    erasure removes the alert with the resident."""

    __tablename__ = "safety_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    order_id: Mapped[int] = mapped_column(Integer)
    fact_id: Mapped[int] = mapped_column(Integer, unique=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    buurt: Mapped[str] = mapped_column(String(80), default="")
    assistant_id: Mapped[int | None] = mapped_column(ForeignKey("assistants.id"))
    #: Seconds since local midnight of the "niet thuis".
    at_seconds: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(12), default="alert")
    #: The alert this one escalates (the previous "niet thuis" in a row), if any.
    previous_id: Mapped[int | None] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: What the notifiers did ("e-mail sent", "sms failed: ..."), for the coordinator.
    notified: Mapped[str] = mapped_column(String(200), default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: What was done ("buurvrouw belde: in ziekenhuis").
    outcome: Mapped[str] = mapped_column(Text, default="")

    resident: Mapped[Resident] = relationship()
    assistant: Mapped[Assistant | None] = relationship()


SIGNAL_CATEGORIES = ("loneliness", "health", "housing", "help", "other")
SIGNAL_URGENCIES = ("later", "this week", "today")
SIGNAL_STATUSES = ("open", "assigned", "closed")


class Signal(Tenant, Base):
    """What an assistant noticed at a door or in the buurt: a category, how urgent, a short
    note (an observation, never a diagnosis) and optionally the resident it is about.

    ``client_id`` is made by the phone, like a mark's, so a signal sent again from the
    offline outbox is stored once. Partners never see signals."""

    __tablename__ = "signals"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    buurt: Mapped[str] = mapped_column(String(80), default="")
    assistant_id: Mapped[int | None] = mapped_column(ForeignKey("assistants.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When the assistant noticed it (the phone's tap), and when it reached the server.
    noticed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="open")
    follow_up_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    #: The first follow-up assigned: the report's "time to follow-up".
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    resident: Mapped[Resident | None] = relationship()
    assistant: Mapped[Assistant | None] = relationship()
    notes: Mapped[list["SignalNote"]] = relationship(order_by="SignalNote.id",
                                                     cascade="all, delete-orphan")


class SignalNote(Tenant, Base):
    """The coordinator's notes on a signal's follow-up; only added."""

    __tablename__ = "signal_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class Campaign(Tenant, Base):
    """House calls (huisbezoeken) over buurten or streets in a period: each door is rung at
    most once per ``min_interval_days`` once someone opened; the planner fills the rounds'
    slack with them (``routing.housecalls``)."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    buurten: Mapped[list[Any]] = mapped_column(default=list)
    streets: Mapped[list[Any]] = mapped_column(default=list)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    min_interval_days: Mapped[int] = mapped_column(Integer, default=42)
    call_minutes: Mapped[int] = mapped_column(Integer, default=10)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CampaignDoor(Tenant, Base):
    """One door of a campaign: an address of the area's own address data (no resident)."""

    __tablename__ = "campaign_doors"
    __table_args__ = (UniqueConstraint("campaign_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(120))
    buurt: Mapped[str] = mapped_column(String(80), default="")
    lat: Mapped[float]
    lon: Mapped[float]


HOUSE_CALL_OUTCOMES = ("rung", "opened", "talked", "not_interested", "come_back")
#: Outcomes after which the door was reached: not again within the campaign's interval.
REACHED = ("opened", "talked", "not_interested")


class HouseCall(Tenant, Base):
    """One attempt at a campaign's door: who rang, when, and what came of it."""

    __tablename__ = "house_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("campaign_doors.id"), index=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    assistant_id: Mapped[int] = mapped_column(ForeignKey("assistants.id"))
    at_seconds: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    door: Mapped[CampaignDoor] = relationship()
