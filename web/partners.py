"""What a partner does in the browser: its orders of a day, the order form, CSV upload and API
tokens. A partner only ever sees its own orders: every lookup goes through ``own_order``."""

from __future__ import annotations

from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect,
                   render_template, request, session, url_for)
from sqlalchemy import select

from . import access, csvorders, orders, organisations, planning, standing, tenancy
from .areas import current_area
from .auth import current_user, new_token, role_required
from .dates import local_today
from .db import app_object, db
from .hygiene import clean
from .i18n import gettext as _
from .store import ApiToken, Order, Partner, get, utcnow

bp = Blueprint("partners", __name__, url_prefix="/partner")


def the_partner() -> Partner:
    return current_user().partner


@bp.before_request
def one_cooperative():
    """A partner works in one cooperative at a time: the one chosen (``?cooperative=slug``,
    remembered in the session), or the only one it serves. The request's scope narrows to it,
    so the pages, the form and the CSV upload see and add that cooperative's orders only."""
    user = current_user()
    if user is None or user.role != "partner":
        return None  # role_required answers
    served = organisations.served_by(db(), user.partner_id)
    if not served:
        abort(403)
    wanted = request.args.get("cooperative") or session.get("cooperative")
    chosen = next((o for o in served if o.slug == wanted), served[0])
    session["cooperative"] = chosen.slug
    tenancy.use(db(), tenancy.of(chosen.id, why="partner"))
    g.cooperative, g.cooperatives = chosen, served
    return None


def own_order(order_id: int) -> Order:
    """The partner's order, or 404 (also for other partners' orders: existence is not told)."""
    order = get(db(), Order, order_id)
    if order is None or order.partner_id != current_user().partner_id:
        abort(404)
    return order


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local_today()


@bp.route("/orders")
@role_required("partner")
def orders_list():
    day = _day()
    standing.materialise(db(), day, local_today())
    rows = db().scalars(select(Order).where(Order.partner_id == current_user().partner_id,
                                            Order.service_date == day)
                        .order_by(Order.id)).all()
    access.note_orders(rows, "view", "orders")
    return render_template("partner/orders.html", orders=rows, day=day)


# the partner's home page
bp.add_url_rule("/", "orders", orders_list)


@bp.route("/orders/<int:order_id>")
@role_required("partner")
def order_detail(order_id: int):
    order = own_order(order_id)
    access.note_orders([order], "view", "order")
    return render_template("partner/order.html", order=order)


def _form_payload(form) -> tuple[dict, dict]:
    """The order form's fields → typed payload (two window pairs become ``windows``)."""
    row = {name: form.get(name, "") for name in orders.FIELDS if name != "windows"}
    pairs = [(form.get(f"window{i}_start", "").strip(), form.get(f"window{i}_end", "").strip())
             for i in (1, 2)]
    row["windows"] = " ".join(f"{s}-{e}" if s and e else f"{s}{e}" for s, e in pairs
                              if s or e)
    for flag in ("hot_meal", "in_person"):
        row[flag] = "yes" if form.get(flag) else "no"
    return orders.from_text(row, _)


def _form_values(order: Order | None) -> dict:
    if order is None:
        partner = the_partner()
        return {"service_date": local_today().isoformat(), "size": "1",
                "kind": partner.order_kinds[0] if partner.order_kinds else "",
                "in_person": partner.kind == "pharmacy", "hot_meal": partner.kind ==
                "meal_kitchen"}
    values = orders.as_payload(order)
    for i, (start, end) in enumerate(order.windows[:2], start=1):
        values[f"window{i}_start"], values[f"window{i}_end"] = start, end
    return values


def _order_form(order: Order | None):
    partner = the_partner()
    values = _form_values(order)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        payload, errors = _form_payload(request.form)
        draft, problems = orders.validate(payload, partner, current_area(),
                                          local_today(), _)
        errors = {**problems, **errors}
        if not errors:
            errors = orders.inactive_resident(db(), draft, tenancy.org_id(db()), _)
        if not errors:
            other = orders.reference_taken(db(), partner.id, draft.reference,
                                           order.id if order else None)
            if other is not None:
                errors["reference"] = _("is already used by order {id}", id=other)
        if not errors and (order is None or draft.service_date != order.service_date):
            reason = orders.over_daily_cap(db(), partner, draft.service_date,
                                           int(current_app.config["PARTNER_DAILY_ORDER_CAP"]),
                                           _, order.id if order else None)
            if reason is not None:
                errors["service_date"] = reason
        if not errors:
            action = "create" if order is None else "change"
            if order is None:
                order = orders.create(db(), partner, draft, current_user().id)
            else:
                orders.update(db(), order, draft, current_user().id)
            db().commit()
            access.note_orders([order], action, "order")
            planning.order_changed(app_object(), db(), order, "order",
                                   current_user().id)
            flash(_("Order {id} saved.", id=order.id), "success")
            return redirect(url_for("partners.orders_list", date=order.service_date))
        flash(_("Please correct the marked fields."), "error")
    places = [p for p in current_area().places if p.kind in
              {"pharmacy": ("pharmacy",), "meal_kitchen": ("meal_kitchen", "community_centre"),
               "parcel_point": ("parcel_point",)}.get(partner.kind, ())]
    if order is not None:
        access.note_orders([order], "view", "order")
    return render_template("partner/order_form.html", order=order, values=values,
                           errors=errors, places=places[:200], partner=partner), \
        422 if errors else 200


@bp.route("/orders/new", methods=["GET", "POST"])
@role_required("partner")
def order_new():
    return _order_form(None)


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
@role_required("partner")
def order_edit(order_id: int):
    order = own_order(order_id)
    if order.status != "submitted":
        flash(_("This order can no longer be changed: it is {status}.", status=_(order.status)),
              "error")
        return redirect(url_for("partners.order_detail", order_id=order.id))
    return _order_form(order)


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@role_required("partner")
def order_cancel(order_id: int):
    order = own_order(order_id)
    if order.status not in ("submitted", "planned"):
        flash(_("This order can no longer be changed: it is {status}.", status=_(order.status)),
              "error")
    else:
        order.set_status("cancelled", current_user().id)
        db().commit()
        access.note_orders([order], "change", "status")
        planning.order_changed(app_object(), db(), order, "cancel",
                               current_user().id)
        flash(_("Order {id} cancelled.", id=order.id), "success")
    return redirect(url_for("partners.order_detail", order_id=order.id))


@bp.route("/upload", methods=["GET", "POST"])
@role_required("partner")
def upload():
    result = None
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            flash(_("Choose a CSV file."), "error")
            return render_template("partner/upload.html", result=None), 422
        result = csvorders.upload(db(), the_partner(), file.read(), current_area(),
                                  local_today(), _, current_user().id,
                                  current_app.config["CSV_MAX_ROWS"],
                                  int(current_app.config["PARTNER_DAILY_ORDER_CAP"]))
        access.note_orders(result.saved, "create", "order", "csv")
    status = 422 if result is not None and result.errors and not result.saved else 200
    return render_template("partner/upload.html", result=result,
                           columns=csvorders.orders.FIELDS), status


@bp.route("/upload/example.csv")
@role_required("partner")
def upload_example():
    text = csvorders.example(the_partner(), current_area(), local_today())
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=orders-example.csv"})


@bp.route("/tokens", methods=["GET", "POST"])
@role_required("partner")
def tokens():
    token = None
    if request.method == "POST":
        label = request.form.get("label", "")
        token = new_token(db(), the_partner(), clean(label).strip()[:80])
        db().commit()
    rows = db().scalars(select(ApiToken).where(ApiToken.partner_id == current_user().partner_id)
                        .order_by(ApiToken.id.desc())).all()
    return render_template("partner/tokens.html", tokens=rows, new_token=token)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("partner")
def token_revoke(token_id: int):
    row = get(db(), ApiToken, token_id)
    if row is None or row.partner_id != current_user().partner_id:
        abort(404)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db().commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("partners.tokens"))
