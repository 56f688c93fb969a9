"""The partners' JSON API under ``/api/v1``: orders, address checks and the OpenAPI document.

Every request carries ``Authorization: Bearer <token>``; a partner reads and changes only its
own orders (another partner's order answers 404, as if it did not exist). A create may carry an
``Idempotency-Key``: repeating it returns the first order instead of making a second. Every 4xx
is JSON: ``{"error": "...", "fields": {"field": "reason"}}``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from routing.geocode import AddressNotFound

from . import access, orders, organisations, planning, standing, tenancy, today
from .areas import current_area
from .auth import partner_for_token
from .dates import local_today
from .db import app_object, db
from .hygiene import surrogate_fields
from .i18n import english
from .openapi import document
from .store import STATUSES, IdempotencyRecord, Order, Organisation, StandingOrder, get

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC = {"api.openapi"}


def error_response(status: int, message: str, fields: dict | None = None, **extra):
    body = {"error": message, "fields": fields or {}, **extra}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="buurtroute"'
    return response


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.message, exc.fields)


@bp.errorhandler(IntegrityError)
def _conflict(_exc: IntegrityError):
    """A unique or foreign key the database refused (a concurrent change won): 409, never 500."""
    db().rollback()
    return error_response(409, "The change conflicts with data changed at the same moment; "
                          "read the order again and retry.")


@bp.errorhandler(DataError)
def _unstorable(_exc: DataError):
    """A value the database cannot store that validation let through: 400, never 500."""
    db().rollback()
    return error_response(400, "A value cannot be stored (too long or not plain text).")


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, "An API token is required: send 'Authorization: Bearer "
                              "<token>'.", {"Authorization": "missing"})
    partner = partner_for_token(db(), token.strip())
    if partner is None:
        return error_response(401, "The API token is not valid or has been revoked.",
                              {"Authorization": "invalid token"})
    if db().dirty:
        db().commit()  # last_used_at
    g.partner = partner
    g.token_prefix = token.strip()[:10]  # the prefix the partner's token page shows
    return None


def order_json(order: Order) -> dict:
    resident = order.resident
    return {
        "id": order.id, "cooperative": order.organisation.slug, "reference": order.reference,
        "status": order.status,
        "kind": order.kind, "label": order.label,
        "service_date": order.service_date.isoformat(),
        "recipient": resident.name, "address": resident.address, "buurt": resident.buurt,
        "phone": order.phone,
        "windows": [{"start": s, "end": e} for s, e in order.windows],
        "pickup": ({"name": order.pickup_name, "address": order.pickup_address}
                   if order.pickup_address is not None else None),
        "ready_time": order.ready_time, "praatje_minutes": order.praatje_minutes,
        "size": order.size, "priority": order.priority, "hot_meal": order.hot_meal,
        "in_person": order.in_person, "note": order.note,
        "flexible_until": order.flexible_until.isoformat() if order.flexible_until else None,
        "standing_order_id": order.standing_order_id,
        "created_at": order.created_at.isoformat(timespec="seconds") + "Z",
        "updated_at": order.updated_at.isoformat(timespec="seconds") + "Z",
        "history": [{"status": e.status, "at": e.at.isoformat(timespec="seconds") + "Z",
                     "note": e.note} for e in order.events],
    }


def _json_body() -> dict:
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON with 'Content-Type: application/json'.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes
        body = None
    if body is None:
        raise ApiError(400, "The body is not valid JSON.")
    if not isinstance(body, dict):
        raise ApiError(422, "The body must be a JSON object.")
    broken = surrogate_fields(body)
    if broken:  # "\ud800" is valid JSON but not text any database can store
        raise ApiError(422, "Some text is not valid Unicode (a lone surrogate); see 'fields'.",
                       {name: english("contains a character that is not valid text")
                        for name in broken})
    return body


def _own(order_id: int) -> Order:
    """The partner's order; the request then works in that order's cooperative."""
    order = get(db(), Order, order_id)
    if order is None or order.partner_id != g.partner.id:
        raise ApiError(404, f"There is no order {order_id} of yours.")
    tenancy.use(db(), tenancy.of(order.org_id, why="partner"))
    return order


def _cooperative(body: dict) -> None:
    """Work in the cooperative the body names (``cooperative``: its slug), or in the only one
    the partner serves; the field is taken out of the body."""
    slug = body.pop("cooperative", None)
    served = organisations.served_by(db(), g.partner.id)
    if slug is None and len(served) == 1:
        chosen = served[0]
    else:
        chosen = next((o for o in served if o.slug == slug), None)
    if chosen is None:
        options = ", ".join(o.slug for o in served)
        raise ApiError(422, "Name the cooperative this order is for; see 'fields'.",
                       {"cooperative": english("must be one of: {options}", options=options)})
    tenancy.use(db(), tenancy.of(chosen.id, why="partner"))
    # held for the request: the session keeps loaded rows only while something refers to
    # them, and the area lookup and the answer (order_json) need this row again
    g.cooperative = chosen


def _validated(payload: dict, order_id: int | None = None):
    draft, errors = orders.validate(payload, g.partner, current_area(), local_today(),
                                    english)
    errors = errors or orders.inactive_resident(db(), draft, tenancy.org_id(db()), english)
    if errors:
        raise ApiError(422, "The order is not valid; see 'fields'.", errors)
    other = orders.reference_taken(db(), g.partner.id, draft.reference, order_id)
    if other is not None:
        raise ApiError(409, "The reference is already used.",
                       {"reference": english("is already used by order {id}", id=other)})
    return draft


def _check_cap(draft, order_id: int | None = None) -> None:
    reason = orders.over_daily_cap(db(), g.partner, draft.service_date,
                                   int(current_app.config["PARTNER_DAILY_ORDER_CAP"]), english,
                                   order_id)
    if reason is not None:
        raise ApiError(422, "The daily order limit of this partner is reached.",
                       {"service_date": reason})


@bp.get("/orders")
def list_orders():
    query = select(Order).where(Order.partner_id == g.partner.id)
    fields = {}
    if "date" in request.args:
        try:
            day = date.fromisoformat(request.args["date"])
        except ValueError:
            fields["date"] = english("must be a date like 2025-03-14")
        else:
            query = query.where(Order.service_date == day)
            standing.materialise_all(db(), day, _today_of)
    if "cooperative" in request.args:
        served = {o.slug: o.id for o in organisations.served_by(db(), g.partner.id)}
        if request.args["cooperative"] not in served:
            fields["cooperative"] = english("must be one of: {options}",
                                            options=", ".join(served))
        query = query.where(Order.org_id == served.get(request.args["cooperative"], 0))
    if "status" in request.args:
        if request.args["status"] not in STATUSES:
            fields["status"] = english("must be one of: {options}", options=", ".join(STATUSES))
        query = query.where(Order.status == request.args["status"])
    if fields:
        raise ApiError(422, "The query is not valid; see 'fields'.", fields)
    rows = db().scalars(query.order_by(Order.service_date, Order.id)).all()
    access.note_orders(rows, "view", "orders", "api")
    return jsonify(orders=[order_json(o) for o in rows])


@bp.post("/orders")
def create_order():
    body = _json_body()
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not 1 <= len(key) <= 200 or not key.isprintable()):
        raise ApiError(422, "The Idempotency-Key header must be 1 to 200 printable characters.",
                       {"Idempotency-Key": "must be 1 to 200 printable characters"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    if key is not None:
        replay = _replay(key, digest)
        if replay is not None:
            return replay
    _cooperative(body)
    draft = _validated(body)
    _check_cap(draft)
    try:
        order = orders.create(db(), g.partner, draft)
        db().flush()
        if key is not None:
            db().add(IdempotencyRecord(partner_id=g.partner.id, key=key, request_hash=digest,
                                       order_id=order.id))
        # a day with a plan gets its re-plan request in the same commit as the order
        planning.order_changed(app_object(), db(), order, "order")
        db().commit()
    except IntegrityError:  # a concurrent request with the same key or reference won
        db().rollback()
        replay = _replay(key, digest) if key is not None else None
        if replay is not None:
            return replay
        _validated(body)  # answers as if the other request had come first (409 on reference)
        raise ApiError(409, "The order conflicts with one created at the same moment.") from None
    access.note_orders([order], "create", "order", "api")
    response = jsonify(order_json(order))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_order", order_id=order.id)
    return response


def _replay(key: str, digest: str):
    record = db().scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.partner_id == g.partner.id, IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.request_hash != digest:
        raise ApiError(422, "This Idempotency-Key was already used with a different request.",
                       {"Idempotency-Key": "already used with a different body"})
    replayed = db().get(Order, record.order_id)
    access.note_orders([replayed], "view", "order", "api")
    response = jsonify(order_json(replayed))
    response.status_code = 201
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = url_for("api.get_order", order_id=record.order_id)
    return response


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int):
    order = _own(order_id)
    access.note_orders([order], "view", "order", "api")
    return jsonify(order_json(order))


@bp.patch("/orders/<int:order_id>")
def update_order(order_id: int):
    order = _own(order_id)
    body = _json_body()
    if order.status != "submitted":
        raise ApiError(409, f"The order is {order.status}; only submitted orders can change.",
                       {"status": order.status})
    if "cooperative" in body and body.pop("cooperative") != order.organisation.slug:
        raise ApiError(422, "An order stays with its cooperative; cancel it and submit anew.",
                       {"cooperative": english("cannot change")})
    merged = {**orders.as_payload(order), **body}
    draft = _validated({k: v for k, v in merged.items() if v is not None}, order.id)
    if draft.service_date != order.service_date:
        _check_cap(draft, order.id)
    orders.update(db(), order, draft)
    db().commit()
    access.note_orders([order], "change", "order", "api")
    return jsonify(order_json(order))


@bp.post("/orders/<int:order_id>/cancel")
def cancel_order(order_id: int):
    order = _own(order_id)
    if order.status not in ("submitted", "planned"):
        raise ApiError(409, f"The order is {order.status} and can no longer be cancelled.",
                       {"status": order.status})
    order.set_status("cancelled")
    db().commit()
    planning.order_changed(app_object(), db(), order, "cancel")
    access.note_orders([order], "change", "status", "api")
    return jsonify(order_json(order))


@bp.post("/addresses/check")
def check_address():
    body = _json_body()
    _cooperative(body)
    query = body.get("query")
    if set(body) - {"query"}:
        raise ApiError(422, "Unknown fields in the body.",
                       {k: "unknown field" for k in set(body) - {"query"}})
    if not isinstance(query, str) or not query.strip() or len(query) > 200:
        raise ApiError(422, "Send {'query': 'Street 12'}.", {"query": "must be 1 to 200 "
                                                             "characters of text"})
    area = current_area()
    try:
        point = area.geocoder.lookup(query)
    except AddressNotFound as exc:
        return error_response(422, str(exc), {"query": exc.reason}, candidates=exc.candidates)
    if point.buurt is None:
        return error_response(422, f"The address lies outside the buurten of {area.title}.",
                              {"query": english("lies outside the buurten of {area}",
                                                area=area.title)}, candidates=[])
    return jsonify(address=point.address, buurt=point.buurt, lat=point.lat, lon=point.lon)


def _today_of(org_id: int):
    """Today in cooperative ``org_id`` (its own time zone)."""
    org = db().get(Organisation, org_id)
    return today(current_app, ZoneInfo(org.time_zone))


# --- standing orders -------------------------------------------------------------------------

def _own_standing(standing_id: int) -> StandingOrder:
    """The partner's standing order; the request then works in its cooperative."""
    row = get(db(), StandingOrder, standing_id)
    if row is None or row.partner_id != g.partner.id:
        raise ApiError(404, f"There is no standing order {standing_id} of yours.")
    tenancy.use(db(), tenancy.of(row.org_id, why="partner"))
    return row


def _replanned(cancelled: list[Order]) -> None:
    access.note_orders(cancelled, "change", "status", "api")
    planning.orders_cancelled(app_object(), db(), cancelled, None)


def _standing_response(row: StandingOrder, status: int = 200):
    body = standing.as_json(row)
    body["coming"] = [{"date": o.day.isoformat(), "order_id": o.order.id if o.order else None,
                       "status": o.order.status if o.order else None,
                       "paused": o.pause is not None}
                      for o in standing.upcoming(db(), row, local_today())]
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/standing-orders")
def list_standing_orders():
    rows = db().scalars(select(StandingOrder).where(StandingOrder.partner_id == g.partner.id)
                        .order_by(StandingOrder.id)).all()
    access.note([r.resident_id for r in rows], "view", "standing_orders", "api")
    return jsonify(standing_orders=[standing.as_json(r) for r in rows])


@bp.post("/standing-orders")
def create_standing_order():
    body = _json_body()
    _cooperative(body)
    draft, errors = standing.validate(body, g.partner, current_area(), local_today(), english)
    if errors:
        raise ApiError(422, "The standing order is not valid; see 'fields'.", errors)
    row, errors = standing.create(db(), g.partner, draft, english)
    if errors:
        db().rollback()
        raise ApiError(409 if "reference" in errors else 422,
                       "The standing order cannot be stored; see 'fields'.", errors)
    db().commit()  # a concurrent twin with the same reference: IntegrityError answers 409
    access.note([row.resident_id], "create", "standing_order", "api")
    response = _standing_response(row, 201)
    response.headers["Location"] = url_for("api.get_standing_order", standing_id=row.id)
    return response


@bp.get("/standing-orders/<int:standing_id>")
def get_standing_order(standing_id: int):
    row = _own_standing(standing_id)
    access.note([row.resident_id], "view", "standing_order", "api")
    return _standing_response(row)


def _body_of(names: tuple[str, ...]) -> dict:
    body = _json_body()
    unknown = set(body) - set(names)
    if unknown:
        raise ApiError(422, "Unknown fields in the body.",
                       {k: english("unknown field") for k in sorted(unknown)})
    return body


@bp.post("/standing-orders/<int:standing_id>/pauses")
def pause_standing_order(standing_id: int):
    row = _own_standing(standing_id)
    body = _body_of(("start_date", "end_date", "reason"))
    parsed, errors = standing.parse_pause(body, local_today(), english)
    if errors:
        raise ApiError(422, "The pause is not valid; see 'fields'.", errors)
    cancelled = standing.pause(db(), row.resident, row, *parsed)
    db().commit()
    access.note([row.resident_id], "change", "standing_order", "api")
    _replanned(cancelled)
    return _standing_response(row)


@bp.post("/standing-orders/<int:standing_id>/cancel-day")
def cancel_standing_day(standing_id: int):
    row = _own_standing(standing_id)
    body = _body_of(("date",))
    parsed, errors = standing.parse_pause({"start_date": body.get("date")}, local_today(),
                                          english)
    if errors:
        raise ApiError(422, "The date is not valid; see 'fields'.",
                       {"date": errors.get("start_date", next(iter(errors.values())))})
    cancelled, refusal = standing.cancel_occurrence(db(), row, parsed[0], english)
    if refusal is not None:
        raise ApiError(409 if "no longer" in refusal else 422, refusal, {"date": refusal})
    db().commit()
    access.note([row.resident_id], "change", "standing_order", "api")
    _replanned(cancelled)
    return _standing_response(row)


@bp.post("/standing-orders/<int:standing_id>/end")
def end_standing_order(standing_id: int):
    row = _own_standing(standing_id)
    body = _body_of(("last_date",))
    last = local_today()
    if body.get("last_date") is not None:
        parsed, errors = standing.parse_pause({"start_date": body["last_date"]}, last, english)
        if errors:
            raise ApiError(422, "The last date is not valid; see 'fields'.",
                           {"last_date": errors.get("start_date", "")})
        last = parsed[0]
    cancelled = standing.end(db(), row, last)
    db().commit()
    access.note([row.resident_id], "change", "standing_order", "api")
    _replanned(cancelled)
    return _standing_response(row)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(url_for("api.list_orders", _external=False).rsplit("/", 1)[0]))
