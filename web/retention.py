"""Retention: personal data is kept as long as the work needs it, then removed.

:func:`purge` removes what is past its period (defaults below; ``RETAIN_*`` settings; the
README says why each one is what it is) and counts removed orders into the anonymous
``daily_stats`` first, so reports over past periods still add up. It runs every night on the
queue engine (``web.jobs``) and as ``python -m web.cli purge [--dry-run]``. A dry run is the
real purge in a transaction that is rolled back: its counts are exactly what a purge would do.

The access log is not purged here: it must outlive the data it speaks of (NEN 7513).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, selectinload

from . import stats
from .store import (Fact, HouseCall, IdempotencyRecord, LoginThrottle, Order, OrderEvent, Plan,
                    PlanRequest, Resident, SafetyAlert, Signal, SignalNote, StandingOrder,
                    StandingPause, StopLock, UserSession, affected)

#: setting → (default days, what it keeps)
PERIODS: dict[str, tuple[int, str]] = {
    "RETAIN_ORDER_DAYS": (90, ("orders, their history, facts, locks and the day's plans, after "
                               "the service day")),
    "RETAIN_IDLE_RESIDENT_DAYS": (365, ("residents without orders, after their last order's "
                                        "day")),
    "RETAIN_IDEMPOTENCY_DAYS": (7, "API idempotency keys, after the request"),
    "RETAIN_PLAN_DAYS": (30, "superseded and failed plans, after they were made"),
    "RETAIN_SESSION_DAYS": (30, "ended or expired login sessions, after their end"),
    "RETAIN_THROTTLE_DAYS": (1, "failed-login counts, after the last failure"),
    "RETAIN_SIGNAL_DAYS": (365, ("signals and safety alerts, with their notes, after they "
                                 "were closed (open ones stay); house calls' outcomes at a "
                                 "door, after the call")),
}
#: The tables a purge may touch, in the order it reports them.
TABLES = ("orders", "order_events", "facts", "stop_locks", "idempotency_keys", "plans",
          "plan_requests", "residents", "user_sessions", "login_throttle", "signals",
          "signal_notes", "safety_alerts", "house_calls", "counted_in_stats")


@dataclass(frozen=True)
class Periods:
    order_days: int = 90
    idle_resident_days: int = 365
    idempotency_days: int = 7
    plan_days: int = 30
    session_days: int = 30
    throttle_days: int = 1
    signal_days: int = 365

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Periods":
        """The periods from ``RETAIN_*`` settings; a bad one is named, never guessed."""
        values = {}
        for name, (default, _what) in PERIODS.items():
            raw = config.get(name, default)
            try:
                days = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: must be a whole number of days, got {raw!r}") \
                    from None
            if days < 1:
                raise ValueError(f"{name}: must be 1 day or more, got {days}")
            values[name.removeprefix("RETAIN_").lower()] = days
        return cls(**values)


def delete_orders(session: Session, ids: Iterable[int]) -> dict[str, int]:
    """Delete orders with everything that hangs on them (history, facts, locks, idempotency
    keys; planning requests keep their row but lose the order). Counts per table."""
    ids = list(ids)
    out = dict.fromkeys(("orders", "order_events", "facts", "stop_locks", "idempotency_keys"),
                        0)
    for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
        chunk = ids[start:start + 500]
        out["facts"] += affected(session, delete(Fact).where(Fact.order_id.in_(chunk)))
        out["order_events"] += affected(
            session, delete(OrderEvent).where(OrderEvent.order_id.in_(chunk)))
        out["stop_locks"] += affected(
            session, delete(StopLock).where(StopLock.order_id.in_(chunk)))
        out["idempotency_keys"] += affected(
            session, delete(IdempotencyRecord).where(IdempotencyRecord.order_id.in_(chunk)))
        session.execute(update(PlanRequest).where(PlanRequest.order_id.in_(chunk))
                        .values(order_id=None))
        out["orders"] += affected(session, delete(Order).where(Order.id.in_(chunk)))
    return out


def delete_door(session: Session, alerts: list[SafetyAlert], signals: list[Signal]
                ) -> dict[str, int]:
    """Count alerts and signals into the anonymous statistics, then delete them with their
    notes. Counts per table."""
    stats.roll_up_door(session, alerts, signals)
    alert_ids, signal_ids = [a.id for a in alerts], [s.id for s in signals]
    out = {"safety_alerts": 0, "signals": 0, "signal_notes": 0}
    for start in range(0, max(len(alert_ids), len(signal_ids)), 500):
        a_chunk, s_chunk = alert_ids[start:start + 500], signal_ids[start:start + 500]
        out["safety_alerts"] += affected(session, delete(SafetyAlert).where(
            SafetyAlert.id.in_(a_chunk)).execution_options(synchronize_session=False))
        out["signal_notes"] += affected(session, delete(SignalNote).where(
            SignalNote.signal_id.in_(s_chunk)).execution_options(synchronize_session=False))
        out["signals"] += affected(session, delete(Signal).where(Signal.id.in_(s_chunk))
                                   .execution_options(synchronize_session=False))
    return out


def delete_plans(session: Session, ids: list[int]) -> int:
    """Delete plans; plans and planning requests that pointed at them lose the pointer."""
    n = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(update(Plan).where(Plan.supersedes_id.in_(chunk))
                        .values(supersedes_id=None))
        session.execute(update(PlanRequest).where(PlanRequest.base_plan_id.in_(chunk))
                        .values(base_plan_id=None))
        n += affected(session, delete(Plan).where(Plan.id.in_(chunk)))
    return n


def serialise(session: Session) -> None:
    """Start this transaction with the lock that one purge or erasure at a time holds, so
    two of them (a worker on each machine, a double-clicked erase) never count the same
    orders into the statistics twice. PostgreSQL: a transaction-scoped advisory lock;
    SQLite: the database's write lock, taken by a first write before anything is read."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("select pg_advisory_xact_lock(7513)"))
    else:
        session.execute(update(LoginThrottle).where(LoginThrottle.key_hash == "")
                        .values(failures=0).execution_options(synchronize_session=False))


def purge(session: Session, today: date, now: datetime, periods: Periods,
          dry_run: bool = False) -> dict[str, int]:
    """Remove what is past its period; commit (or roll back for ``dry_run``). Rows removed
    per table, and ``counted_in_stats``: orders first counted into ``daily_stats``."""
    out = dict.fromkeys(TABLES, 0)
    session.rollback()  # a fresh transaction that starts with the lock
    try:
        serialise(session)
        cutoff = today - timedelta(days=periods.order_days)
        old = list(session.scalars(select(Order).where(Order.service_date < cutoff)
                                   .options(selectinload(Order.resident))))
        out["counted_in_stats"] = stats.roll_up(session, old)
        last: dict[int, date] = {}
        for order in old:
            last[order.resident_id] = max(order.service_date,
                                          last.get(order.resident_id, order.service_date))
        old_ids = [o.id for o in old]
        session.expunge_all()  # bulk statements from here on: nothing to keep in step
        for resident_id, day in last.items():
            session.execute(update(Resident).where(Resident.id == resident_id, (
                Resident.last_order_date.is_(None)) | (Resident.last_order_date < day))
                .values(last_order_date=day).execution_options(synchronize_session=False))
        for table, n in delete_orders(session, old_ids).items():
            out[table] += n
        plan_age = now - timedelta(days=periods.plan_days)
        stale = session.scalars(select(Plan.id).where(
            (Plan.service_date < cutoff) | ((Plan.status != "running") & (
                Plan.superseded.is_(True) | (Plan.status == "failed"))
                & (Plan.created_at < plan_age)))).all()
        out["plans"] = delete_plans(session, list(stale))
        out["plan_requests"] = affected(
            session, delete(PlanRequest).where(PlanRequest.service_date < cutoff))
        out["idempotency_keys"] += affected(session, delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < now - timedelta(days=periods.idempotency_days)))
        closed_before = now - timedelta(days=periods.signal_days)
        for table, n in delete_door(session, list(session.scalars(select(SafetyAlert).where(
                SafetyAlert.closed_at < closed_before))), list(session.scalars(select(Signal)
                .where(Signal.closed_at < closed_before)))).items():
            out[table] += n
        calls = list(session.scalars(select(HouseCall).where(
            HouseCall.service_date < today - timedelta(days=periods.signal_days))
            .options(selectinload(HouseCall.door))))
        stats.roll_up_house_calls(session, calls)
        out["house_calls"] = affected(session, delete(HouseCall).where(
            HouseCall.id.in_([c.id for c in calls])).execution_options(
            synchronize_session=False)) if calls else 0
        idle = today - timedelta(days=periods.idle_resident_days)
        has_orders = select(Order.id).where(Order.resident_id == Resident.id).exists()
        # a standing order is the resident's own arrangement: kept until erased
        has_standing = select(StandingOrder.id).where(
            StandingOrder.resident_id == Resident.id).exists()
        open_door = (select(SafetyAlert.id).where(SafetyAlert.resident_id == Resident.id)
                     .exists() | select(Signal.id).where(Signal.resident_id == Resident.id)
                     .exists())
        idle_residents = select(Resident.id).where(
            ~has_orders, ~has_standing, ~open_door,
            Resident.last_order_date.is_(None) | (Resident.last_order_date < idle))
        session.execute(delete(StandingPause).where(StandingPause.resident_id.in_(
            idle_residents)).execution_options(synchronize_session=False))
        out["residents"] = affected(session, delete(Resident).where(
            Resident.id.in_(idle_residents)).execution_options(synchronize_session=False))
        session_age = now - timedelta(days=periods.session_days)
        out["user_sessions"] = affected(session, delete(UserSession).where(
            func.coalesce(UserSession.ended_at, UserSession.last_seen_at) < session_age))
        throttle_age = now - timedelta(days=periods.throttle_days)
        out["login_throttle"] = affected(session, delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < throttle_age,
            LoginThrottle.blocked_until.is_(None) | (LoginThrottle.blocked_until < now)))
    except Exception:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return out


def purge_all(app, today: date, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Purge every cooperative with its own order retention (``retain_order_days``, else
    the service's ``RETAIN_ORDER_DAYS``), one transaction each; counts added up. The
    account tables (sessions, throttles, keys) are the service's and go in the first pass."""
    from dataclasses import replace

    from . import tenancy
    from .store import Organisation

    default = Periods.from_config(app.config)
    session = app.extensions["buurtroute.sessions"]()
    out = dict.fromkeys(TABLES, 0)
    try:
        with tenancy.system(session, "the purge visits every cooperative"):
            orgs = session.execute(select(Organisation.id, Organisation.retain_order_days)
                                   .order_by(Organisation.id)).all()
        for k, (org, days) in enumerate(orgs or [(None, None)]):
            tenancy.use(session, tenancy.of(org, why="retention") if org else tenancy.NOBODY)
            periods = replace(default, order_days=days) if days else default
            for table, n in purge(session, today, now, periods, dry_run).items():
                if k == 0 or table not in ("user_sessions", "login_throttle"):
                    out[table] += n  # a dry run finds the service's rows in every pass
    finally:
        session.close()
    return out


def purge_app(app) -> dict[str, int]:
    """The nightly job: purge the app's database with its configured periods."""
    from . import today
    from .store import utcnow

    return purge_all(app, today(app), utcnow())
