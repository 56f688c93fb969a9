"""Onboarding from the command line: the same as the coordinator's pages, for scripts.

    init                               the first run: the cooperative (if none) and its first
                                       coordinator; asks for what is not given
    partner add|edit|list|switch-off|token|revoke-token|invite
    assistant add|edit|list|switch-off|absence|invite
    shifts DATE                        make the shifts of DATE from the usual weeks
    resident add|merge|switch-off
    user link|switch-off               a new password link; switch a login off

Every command checks its input with the pages' own checks (``web.admin_*``) and answers
``field: reason`` for a bad value, storing nothing. ``--org`` names the cooperative when the
service has several. Links are printed with ``PUBLIC_URL`` (``BUURTROUTE_PUBLIC_URL``).
"""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from . import (admin_accounts, admin_assistants, admin_partners, admin_residents, availability,
               invitations, organisations, planning, tenancy, today)
from .auth import create_user, new_token
from .db import app_object, new_session
from .fields import WEEKDAYS
from .i18n import english
from .store import ApiToken, Assistant, Organisation, Partner, Resident, User, get

ORG = click.option("--org", "slug", default=None,
                   help="The cooperative (its short name); needed when there are several.")


def _fail(errors: dict[str, str]) -> None:
    raise click.ClickException("; ".join(f"{field}: {reason}" for field, reason in
                                         errors.items()))


def _session(slug: str | None):
    """A session scoped to the cooperative ``slug`` (or the only one) and its area."""
    from .areas import area_for

    session = new_session()
    with tenancy.system(session, "cli: which organisation"):
        query = select(Organisation)
        rows = session.scalars(query.where(Organisation.slug == slug) if slug else query).all()
    if not rows:
        raise click.ClickException(f"org: there is no organisation {slug!r}" if slug else
                                   "org: there is no organisation yet; run init first")
    if len(rows) > 1:
        raise click.ClickException("org: name the organisation (--org), one of: "
                                   + ", ".join(r.slug for r in rows))
    tenancy.use(session, tenancy.of(rows[0].id, why="cli"))
    return session, area_for(rows[0].area)


# --- init -------------------------------------------------------------------------------------

@click.command("init")
@click.option("--slug", help="Short name of the cooperative, e.g. utrecht-oost.")
@click.option("--name", help="Its name, e.g. Buurtcoöperatie Oost.")
@click.option("--area", default=None, help="Its area (default: the service's).")
@click.option("--time-zone", default="Europe/Amsterdam", show_default=True)
@click.option("--coordinator", help="Username of the first coordinator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def init(slug, name, area, time_zone, coordinator, password_stdin):
    """First run: the cooperative (unless there is one) and its first coordinator."""
    session = new_session()
    with tenancy.system(session, "cli init: is there a cooperative"):
        existing = session.scalars(select(Organisation)).all()
    if existing and slug is None and len(existing) == 1:
        org = existing[0]
        click.echo(f"Cooperative {org.slug!r} exists; adding a coordinator.")
    else:
        slug = slug or click.prompt("Short name of the cooperative (e.g. utrecht-oost)")
        org = next((o for o in existing if o.slug == slug), None)
        if org is None:
            name = name or click.prompt("Name of the cooperative")
            with tenancy.system(session, "cli init"):
                wrong = organisations.problems(session, slug, name, time_zone)
                if wrong:
                    _fail(wrong)
                org = organisations.create(session, slug, name, area, time_zone)
    coordinator = coordinator or click.prompt("Username of the first coordinator")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with tenancy.system(session, "cli init"):
            create_user(session, coordinator, password, "coordinator", org_id=org.id)
            session.commit()
    except ValueError as exc:
        session.rollback()
        raise click.ClickException(f"coordinator: {exc}") from exc
    finally:
        session.close()
    click.echo(f"Cooperative {org.slug!r} is ready; coordinator {coordinator!r} can log in.\n"
               "Next steps:\n"
               "  1. python -m web.cli serve            (then log in at http://127.0.0.1:8000/)\n"
               "  2. Partners: add each pharmacy, meal kitchen and parcel point with its pickup\n"
               "     place and opening hours, a login (invitation link) and an API token.\n"
               "  3. Assistants: add each with their usual week, start place and a login.\n"
               "  4. Residents: add the ones you visit (partners' orders add the others).\n"
               "  5. On the day page, plan the day; assistants see their round on their phone.\n"
               "The same can be done here: python -m web.cli partner --help, assistant --help.")


# --- partners ---------------------------------------------------------------------------------

def _partner_form(current: dict, name, kind, pickup_address, pickup_name, handling,
                  hours) -> dict[str, str]:
    """The partner form as the pages send it: ``current`` with the options given on top
    (``--hours`` replaces the whole week)."""
    form = {k: "" if v is None else str(v) for k, v in current.items()}
    for key, value in (("name", name), ("kind", kind), ("pickup_address", pickup_address),
                       ("pickup_name", pickup_name), ("handling_minutes", handling)):
        if value is not None:
            form[key] = str(value)
    if hours:
        form.update({f"hours_{day}": "" for day in WEEKDAYS})
    for item in hours:
        day, _sep, windows = item.partition("=")
        if day not in WEEKDAYS:
            _fail({"hours": f"{day!r}: a weekday is one of {', '.join(WEEKDAYS)}"})
        form[f"hours_{day}"] = windows
    return form


PARTNER_OPTIONS = [
    click.option("--kind", type=click.Choice(admin_partners.PARTNER_KINDS)),
    click.option("--pickup-address", help="An address in the area or a place on the map."),
    click.option("--pickup-name", help="As the round shows it (default: the name)."),
    click.option("--handling", type=int, help="Minutes to collect the goods there."),
    click.option("--hours", multiple=True, help="Opening hours of a day: mon=09:00-12:00,"
                 "13:00-17:00 (repeat per day; days not given are closed)."),
    ORG]


def _options(options):
    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


@click.group("partner")
def partner():
    """Partners: pharmacies, meal kitchens, parcel points, the cooperative itself."""


@partner.command("add")
@click.argument("name")
@_options(PARTNER_OPTIONS)
@with_appcontext
def partner_add(name, kind, pickup_address, pickup_name, handling, hours, slug):
    """Add a partner serving the cooperative."""
    session, area = _session(slug)
    form = _partner_form({"kind": "meal_kitchen"}, name, kind, pickup_address, pickup_name,
                         handling, hours)
    values, errors = admin_partners.read(form, area, english)
    if errors:
        _fail(errors)
    row = admin_partners.save(session, None, values)
    session.commit()
    click.echo(f"Partner {row.id} {row.name!r} added ({row.kind}, pickup "
               f"{row.pickup_address or '-'}).")


@partner.command("edit")
@click.argument("partner_id", type=int)
@click.option("--name")
@_options(PARTNER_OPTIONS)
@with_appcontext
def partner_edit(partner_id, name, kind, pickup_address, pickup_name, handling, hours, slug):
    """Change a partner; options not given stay as they are."""
    session, area = _session(slug)
    row = _managed_partner(session, partner_id)
    form = _partner_form(admin_partners.form_values(row), name, kind, pickup_address,
                         pickup_name, handling, hours)
    values, errors = admin_partners.read(form, area, english)
    if errors:
        _fail(errors)
    admin_partners.save(session, row, values)
    session.commit()
    click.echo(f"Partner {row.id} {row.name!r} saved.")


def _own_partner(session, partner_id: int) -> Partner:
    row = get(session, Partner, partner_id)
    if row is None:
        _fail({"partner": f"there is no partner {partner_id} in this cooperative"})
    return row


@partner.command("list")
@ORG
@with_appcontext
def partner_list(slug):
    """The cooperative's partners."""
    session, _area = _session(slug)
    for row in session.scalars(select(Partner).order_by(Partner.id)):
        state = "active" if row.active and admin_partners.serves_here(session, row) else "off"
        click.echo(f"{row.id:>5}  {row.kind:<13} {state:<7} {row.name}  ({row.pickup_address})")


@partner.command("switch-off")
@click.argument("partner_id", type=int)
@ORG
@with_appcontext
def partner_switch_off(partner_id, slug):
    """Stop a partner serving the cooperative (tokens revoked, users logged out when it
    serves no other)."""
    session, _area = _session(slug)
    row = _own_partner(session, partner_id)
    if row.id == organisations.own_partner(session).id:
        _fail({"partner": "the cooperative's own partner cannot be switched off"})
    whole = admin_partners.switch_off(session, row)
    session.commit()
    click.echo(f"Partner {row.id} switched off" + (": tokens revoked, sessions ended." if whole
                                                    else " here (it serves other cooperatives)."))


@partner.command("token")
@click.argument("partner_id", type=int)
@click.option("--label", default="", help="What the token is for.")
@ORG
@with_appcontext
def partner_token(partner_id, label, slug):
    """Make an API token for a partner; it is printed once and never stored."""
    session, _area = _session(slug)
    row = _managed_partner(session, partner_id)
    token = new_token(session, row, label[:80])
    session.commit()
    click.echo(token)


@partner.command("revoke-token")
@click.argument("partner_id", type=int)
@click.argument("token_id", type=int)
@ORG
@with_appcontext
def partner_revoke_token(partner_id, token_id, slug):
    """Revoke one of a partner's API tokens."""
    from .store import utcnow

    session, _area = _session(slug)
    row = _managed_partner(session, partner_id)
    token = get(session, ApiToken, token_id)
    if token is None or token.partner_id != row.id:
        _fail({"token": f"partner {row.id} has no token {token_id}"})
    token.revoked_at = token.revoked_at or utcnow()
    session.commit()
    click.echo(f"Token {token.prefix}… revoked.")


@partner.command("invite")
@click.argument("partner_id", type=int)
@click.argument("username")
@click.option("--email", default="", help="Mail the link here (when SMTP is configured).")
@ORG
@with_appcontext
def partner_invite(partner_id, username, email, slug):
    """A login for a partner's user; prints (or mails) the invitation link."""
    session, _area = _session(slug)
    row = _managed_partner(session, partner_id)
    user = _new_login(session, username, email, "partner", partner=row)
    _hand_over(session, user)


def _managed_partner(session, partner_id: int) -> Partner:
    row = _own_partner(session, partner_id)
    if not organisations.serves_only(session, row.id, tenancy.org_id(session)):
        _fail({"partner": "it serves other cooperatives too; the service admin manages its "
                          "logins and tokens"})
    if not row.active:
        _fail({"partner": "is switched off"})
    return row


def _new_login(session, username, email, role, **owner) -> User:
    errors: dict[str, str] = {}
    username, email = admin_accounts.read_login(session, {"username": username,
                                                          "email": email}, errors, english)
    if errors:
        _fail(errors)
    return admin_accounts.new_login(session, username, email, role, **owner)


def _hand_over(session, user: User, purpose: str = "invite") -> None:
    handover = invitations.hand_over(session, user, purpose,
                                     app=app_object())
    if handover.mailed_to:
        click.echo(f"Link for {user.username!r} mailed to {handover.mailed_to}.")
    else:
        if handover.mail_error:
            click.echo(f"Mail failed ({handover.mail_error}); hand the link over.", err=True)
        click.echo(f"Link for {user.username!r} (works once): {handover.url}")


# --- assistants -------------------------------------------------------------------------------

ASSISTANT_OPTIONS = [
    click.option("--mode", type=click.Choice(admin_assistants.MODES)),
    click.option("--capacity", type=int, help="Crates they carry (default: by mode)."),
    click.option("--home-buurt", help="Their home buurt."),
    click.option("--start", "start_place", help="Where the day starts: address or place."),
    click.option("--end", "end_place", help="Where the day ends (default: the start)."),
    click.option("--days", help="Working days of the usual week, e.g. mon,tue,wed,thu."),
    click.option("--hours", help="Their hours on those days, e.g. 09:00-17:00."),
    click.option("--break", "pause", type=int, help="Break minutes on those days."),
    click.option("--break-window", help="When the break may start, e.g. 12:00-13:30."),
    ORG]


def _assistant_form(current: dict, name, mode, capacity, home_buurt, start_place, end_place,
                    days, hours, pause, break_window) -> dict[str, str]:
    form = {k: "" if v is None else str(v) for k, v in current.items()}
    for key, value in (("name", name), ("mode", mode), ("capacity", capacity),
                       ("home_buurt", home_buurt), ("start_place", start_place),
                       ("end_place", end_place)):
        if value is not None:
            form[key] = str(value)
    if days is not None:
        chosen = [d.strip() for d in days.split(",") if d.strip()]
        wrong = [d for d in chosen if d not in WEEKDAYS]
        if wrong:
            _fail({"days": f"{', '.join(wrong)}: weekdays are {', '.join(WEEKDAYS)}"})
        start, _sep, end = (hours or "").partition("-")
        earliest, _sep, latest = (break_window or "").partition("-")
        for day in WEEKDAYS:
            on = day in chosen
            form.update({f"{day}_start": start if on else "", f"{day}_end": end if on else "",
                         f"{day}_break_minutes": str(pause or "") if on else "",
                         f"{day}_break_from": earliest if on else "",
                         f"{day}_break_until": latest if on else ""})
    return form


@click.group("assistant")
def assistant():
    """Assistants: their travel, places, usual week, absences and login."""


@assistant.command("add")
@click.argument("name")
@_options(ASSISTANT_OPTIONS)
@with_appcontext
def assistant_add(name, mode, capacity, home_buurt, start_place, end_place, days, hours, pause,
                  break_window, slug):
    """Add an assistant (e.g. --days mon,tue,wed,thu --hours 09:00-17:00 --break 30
    --break-window 12:00-13:30)."""
    session, area = _session(slug)
    form = _assistant_form({"mode": "bike"}, name, mode, capacity, home_buurt, start_place,
                           end_place, days, hours, pause, break_window)
    _save_assistant(session, area, None, form)


@assistant.command("edit")
@click.argument("assistant_id", type=int)
@click.option("--name")
@_options(ASSISTANT_OPTIONS)
@with_appcontext
def assistant_edit(assistant_id, name, mode, capacity, home_buurt, start_place, end_place, days,
                   hours, pause, break_window, slug):
    """Change an assistant; options not given stay as they are (--days replaces the week)."""
    session, area = _session(slug)
    row = _assistant(session, assistant_id)
    form = _assistant_form(admin_assistants.form_values(session, row), name, mode, capacity,
                           home_buurt, start_place, end_place, days, hours, pause, break_window)
    _save_assistant(session, area, row, form)


def _save_assistant(session, area, row, form) -> None:
    regulars = [str(r) for r in session.scalars(select(Resident.id).where(
        Resident.regular_assistant_id == row.id))] if row else []
    values, week, errors = admin_assistants.read(session, form, area, english, regulars)
    if errors:
        _fail(errors)
    row = admin_assistants.save(session, row, values, week)
    now = today(current_app, tenancy.zone(session))
    availability.make_shifts(session, now, now)
    session.commit()
    click.echo(f"Assistant {row.id} {row.name!r} saved; usual week: " + (", ".join(
        f"{WEEKDAYS[d.weekday]} {d.start}-{d.end}" for d in week) or "none") + ".")


def _assistant(session, assistant_id: int) -> Assistant:
    row = get(session, Assistant, assistant_id)
    if row is None:
        _fail({"assistant": f"there is no assistant {assistant_id} in this cooperative"})
    return row


@assistant.command("list")
@ORG
@with_appcontext
def assistant_list(slug):
    """The cooperative's assistants and their usual week."""
    session, _area = _session(slug)
    for row in session.scalars(select(Assistant).order_by(Assistant.id)):
        week = availability.week(session, row.id)
        click.echo(f"{row.id:>5}  {row.name:<20} {row.mode:<10} "
                   f"{'active' if row.active else 'off':<7} " + ", ".join(
                       f"{WEEKDAYS[d]} {w.start}-{w.end}" for d, w in sorted(week.items())))


@assistant.command("switch-off")
@click.argument("assistant_id", type=int)
@ORG
@with_appcontext
def assistant_switch_off(assistant_id, slug):
    """An assistant who left: no more shifts, their login's sessions end."""
    session, _area = _session(slug)
    row = _assistant(session, assistant_id)
    admin_assistants.switch_off(session, row, today(current_app, tenancy.zone(session)))
    session.commit()
    click.echo(f"Assistant {row.id} switched off.")


@assistant.command("absence")
@click.argument("assistant_id", type=int)
@click.option("--kind", type=click.Choice(availability.ABSENCE_KINDS), default="sick",
              show_default=True)
@click.option("--from", "first_day", required=True, help="First day away (2025-03-14).")
@click.option("--until", "last_day", default="", help="Last day away (default: the first).")
@ORG
@with_appcontext
def assistant_absence(assistant_id, kind, first_day, last_day, slug):
    """Record an absence; the shifts of those days follow."""
    session, _area = _session(slug)
    row = _assistant(session, assistant_id)
    absence, errors = availability.add_absence(session, row, {
        "kind": kind, "first_day": first_day, "last_day": last_day}, english)
    if errors:
        _fail(errors)
    session.flush()
    availability.remake(session, absence.first_day, absence.last_day,
                        today(current_app, tenancy.zone(session)))
    session.commit()
    click.echo(f"{row.name} away ({kind}) {absence.first_day} to {absence.last_day}.")


@assistant.command("invite")
@click.argument("assistant_id", type=int)
@click.argument("username")
@click.option("--email", default="", help="Mail the link here (when SMTP is configured).")
@ORG
@with_appcontext
def assistant_invite(assistant_id, username, email, slug):
    """The assistant's login; prints (or mails) the invitation link."""
    session, _area = _session(slug)
    row = _assistant(session, assistant_id)
    if not row.active:
        _fail({"assistant": "is switched off"})
    user = _new_login(session, username, email, "assistant", assistant=row, org_id=row.org_id)
    _hand_over(session, user)


@click.command("shifts")
@click.argument("day")
@ORG
@with_appcontext
def shifts(day, slug):
    """Make the shifts of DAY (2025-03-14) from the usual weeks and absences."""
    from .store import Shift

    try:
        service_date = date.fromisoformat(day)
    except ValueError:
        _fail({"date": "must be a date like 2025-03-14"})
    session, _area = _session(slug)
    changed = availability.make_shifts(session, service_date,
                                       today(current_app, tenancy.zone(session)))
    session.commit()
    for row in session.scalars(select(Shift).where(Shift.service_date == service_date)
                               .order_by(Shift.start)):
        click.echo(f"{row.assistant.name:<20} {row.start}-{row.end} ({row.source})")
    click.echo(f"{changed} shift(s) made or changed.")


# --- residents and logins ---------------------------------------------------------------------

@click.group("resident")
def resident():
    """Residents: add, merge duplicates, switch off (moved, died)."""


@resident.command("add")
@click.argument("name")
@click.argument("address")
@click.option("--phone", default="")
@click.option("--praatje", default="", help="Usual praatje in minutes.")
@click.option("--contact-name", default="")
@click.option("--contact-phone", default="")
@click.option("--contact-consent", is_flag=True,
              help="The resident agreed that the contact is kept and called when they do "
                   "not open (needed to keep a contact).")
@click.option("--door-note", default="", help="What the assistant needs at the door.")
@ORG
@with_appcontext
def resident_add(name, address, phone, praatje, contact_name, contact_phone, contact_consent,
                 door_note, slug):
    """Add a resident (the address is geocoded in the area's buurten)."""
    from . import access
    from .cli import _cli_who

    session, area = _session(slug)
    values, errors = admin_residents.read_new(session, {
        "name": name, "address": address, "phone": phone, "praatje_minutes": praatje,
        "contact_name": contact_name, "contact_phone": contact_phone,
        "contact_consent": "1" if contact_consent else "", "door_note": door_note}, area,
        english)
    if errors:
        _fail(errors)
    row = Resident(**values)
    session.add(row)
    session.flush()
    access.write(session, _cli_who(), [access.row(row.id, "create", "resident", "cli")],
                 "cli resident add")
    session.commit()
    click.echo(f"Resident {row.id} {row.name!r} added ({row.address}, {row.buurt}).")


@resident.command("merge")
@click.argument("kept_id", type=int)
@click.argument("duplicate_id", type=int)
@ORG
@with_appcontext
def resident_merge(kept_id, duplicate_id, slug):
    """Merge resident DUPLICATE_ID into KEPT_ID (its orders move; it is removed)."""
    from . import access
    from .cli import _cli_who

    session, _area = _session(slug)
    kept, duplicate = get(session, Resident, kept_id), get(session, Resident, duplicate_id)
    if kept is None or duplicate is None or kept_id == duplicate_id:
        _fail({"resident": "name two different residents of this cooperative"})
    moved = admin_residents.merge(session, kept, duplicate)
    access.write(session, _cli_who(), [access.row(r, "change", "resident,orders", "cli",
                                                  f"merged {duplicate_id} into {kept_id}")
                                       for r in (kept_id, duplicate_id)], "cli resident merge")
    session.commit()
    click.echo(f"Resident {duplicate_id} merged into {kept_id}: {moved} orders moved.")


@resident.command("switch-off")
@click.argument("resident_id", type=int)
@ORG
@with_appcontext
def resident_switch_off(resident_id, slug):
    """A resident who moved or died: no new orders; open orders from today on cancelled."""
    from . import access
    from .cli import _cli_who

    session, _area = _session(slug)
    row = get(session, Resident, resident_id)
    if row is None:
        _fail({"resident": f"there is no resident {resident_id} in this cooperative"})
    cancelled = admin_residents.switch_off(session, row,
                                           today(current_app, tenancy.zone(session)))
    access.write(session, _cli_who(), [access.row(row.id, "change", "resident", "cli",
                                                  "active")], "cli resident switch-off")
    session.commit()
    planning.orders_cancelled(app_object(), session, cancelled, None)  # their plans repaired
    click.echo(f"Resident {row.id} switched off; {len(cancelled)} open orders cancelled.")


@click.group("user")
def user():
    """Logins: a new password link, switching a login off."""


def _login(session, username: str) -> User:
    row = session.scalar(select(User).where(User.username == username))
    if row is None or not admin_accounts.manageable(session, row):
        _fail({"username": f"there is no login {username!r} this cooperative manages"})
    return row


@user.command("link")
@click.argument("username")
@ORG
@with_appcontext
def user_link(username, slug):
    """A new one-time password link (an invitation if the login was never used)."""
    session, _area = _session(slug)
    row = _login(session, username)
    if not row.active:
        _fail({"username": "the login is switched off"})
    _hand_over(session, row, "invite" if row.last_login_at is None else "reset")


@user.command("switch-off")
@click.argument("username")
@ORG
@with_appcontext
def user_switch_off(username, slug):
    """Switch a login off; its sessions end now."""
    from .auth import deactivate

    session, _area = _session(slug)
    row = _login(session, username)
    deactivate(session, row)
    session.commit()
    click.echo(f"Login {username!r} switched off; its sessions have ended.")


COMMANDS = (init, partner, assistant, shifts, resident, user)
