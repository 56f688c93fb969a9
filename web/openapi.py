"""The OpenAPI 3.0 document of ``/api/v1``, written out by hand next to the code it describes.

Limits and enumerations come from ``web.orders`` and ``web.store`` so the document and the
validator cannot drift apart; a test validates the document and every response against it.
"""

from __future__ import annotations

from .orders import FLEXIBLE_DAYS, LENGTHS, LIMITS, MAX_WINDOWS
from .standing import MAX_EVERY_WEEKS, REASON_LENGTH, WEEKDAYS
from .store import ORDER_KINDS, STATUSES

TIME = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "11:30"}
DATE = {"type": "string", "format": "date", "example": "2025-03-14"}


def _text(name: str, **extra) -> dict:
    return {"type": "string", "maxLength": LENGTHS[name], **extra}


def _int(name: str, **extra) -> dict:
    low, high = LIMITS[name]
    return {"type": "integer", "minimum": low, "maximum": high, **extra}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


WINDOW = {"type": "object", "additionalProperties": False, "required": ["start", "end"],
          "properties": {"start": TIME, "end": TIME}}

COOPERATIVE = {"type": "string", "minLength": 1, "maxLength": 40,
               "description": "The cooperative the order is for (its short name); needed "
                              "only when you serve more than one."}

INPUT_PROPERTIES = {
    "cooperative": COOPERATIVE,
    "recipient": _text("recipient", minLength=1, description="Name or initials, no more."),
    "address": _text("address", minLength=1, description="Street and number in the area; a "
                     "postcode may follow (\"Street 12a, 3582 BJ\"), or \"lat, lon\"."),
    "phone": _nullable(_text("phone", description="Only if the assistant must call ahead.")),
    "kind": {"type": "string", "enum": list(ORDER_KINDS),
             "description": "What the partner may send depends on its kind (a pharmacy sends "
                            "medicine, a meal kitchen meal, a parcel point parcel)."},
    "service_date": DATE,
    "windows": _nullable({"type": "array", "maxItems": MAX_WINDOWS, "items": WINDOW,
                          "description": "Delivery windows (local time); none: any time."}),
    "pickup": _nullable(_text("pickup", description="A place of the area by name, or an "
                              "address; default: the partner's own pickup place.")),
    "ready_time": _nullable({**TIME, "description": "When the goods are ready for pickup."}),
    "praatje_minutes": _nullable(_int("praatje_minutes", description="Length of the chat at "
                                      "the door; default: the resident's usual.")),
    "size": _nullable(_int("size", description="Bags, meals or parcels (default 1).")),
    "priority": _nullable(_int("priority", description="0 normal, 1 high, 2 urgent.")),
    "hot_meal": _nullable({"type": "boolean", "description": "Only for kind meal."}),
    "in_person": _nullable({"type": "boolean", "description": "Hand over in person only."}),
    "note": _nullable(_text("note", description="For the assistant. Never medicine names or "
                            "doses: such notes are refused.")),
    "reference": _nullable(_text("reference", minLength=1, pattern=r"^[A-Za-z0-9._:/-]+$",
                                 description="Your own reference, unique among your orders.")),
    "flexible_until": _nullable({**DATE, "description": "Only for kind parcel: the last day "
                                 "(at most %d days after service_date) it may still be "
                                 "brought when its own day has no room; it then moves to the "
                                 "next day, with the reason in its history." % FLEXIBLE_DAYS}),
}

#: A standing order takes the order's fields (its start date instead of the service date).
STANDING_PROPERTIES = {
    **{k: v for k, v in INPUT_PROPERTIES.items() if k not in ("service_date", "flexible_until")},
    "weekdays": {"type": "array", "minItems": 1, "maxItems": 7,
                 "items": {"type": "string", "enum": list(WEEKDAYS)},
                 "description": "The weekdays it repeats on."},
    "every_weeks": _nullable({"type": "integer", "minimum": 1, "maximum": MAX_EVERY_WEEKS,
                              "description": "1 (default): every week; 2: every other week, "
                                             "counted from the week of start_date."}),
    "start_date": {**DATE, "description": "The first day it may make an order (not in the "
                                          "past)."},
    "end_date": _nullable({**DATE, "description": "The last day; none: until ended."}),
}

ORDER = {
    "type": "object",
    "required": ["id", "cooperative", "status", "kind", "label", "service_date", "recipient", "address",
                 "windows", "size", "priority", "hot_meal", "in_person", "note", "history"],
    "properties": {
        "id": {"type": "integer"},
        "cooperative": {"type": "string"},
        "reference": _nullable({"type": "string"}),
        "status": {"type": "string", "enum": list(STATUSES),
                   "description": "submitted → planned → picked_up → delivered; not_home when "
                                  "nobody was at the door, then returned once medicine or a "
                                  "parcel is back at the pickup place; cancelled."},
        "kind": {"type": "string", "enum": list(ORDER_KINDS)},
        "label": {"type": "string", "description": "What route sheets say (\"apotheekpakket\" "
                                                   "for medicine)."},
        "service_date": DATE,
        "recipient": {"type": "string"},
        "address": {"type": "string", "description": "The normalised address."},
        "buurt": _nullable({"type": "string"}),
        "phone": _nullable({"type": "string"}),
        "windows": {"type": "array", "items": WINDOW},
        "pickup": _nullable({"type": "object", "properties": {
            "name": _nullable({"type": "string"}), "address": {"type": "string"}}}),
        "ready_time": _nullable(TIME),
        "praatje_minutes": _nullable({"type": "integer"}),
        "size": {"type": "integer"},
        "priority": {"type": "integer"},
        "hot_meal": {"type": "boolean"},
        "in_person": {"type": "boolean"},
        "note": {"type": "string"},
        "flexible_until": _nullable(DATE),
        "standing_order_id": _nullable({"type": "integer", "description": "The standing order "
                                        "it was made from."}),
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "history": {"type": "array", "items": {
            "type": "object", "required": ["status", "at"],
            "properties": {"status": {"type": "string", "enum": list(STATUSES)},
                           "at": {"type": "string", "format": "date-time"},
                           "note": {"type": "string", "description": "E.g. which fields "
                                    "changed."}}}},
    },
}

ERROR = {
    "type": "object", "required": ["error", "fields"],
    "properties": {
        "error": {"type": "string", "description": "What is wrong, in a sentence."},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Per field (or header) the reason it was refused."},
        "candidates": {"type": "array", "items": {"type": "string"},
                       "description": "For unknown addresses: the closest known ones."},
    },
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: dict, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


STANDING_ORDER = {
    "type": "object",
    "required": ["id", "cooperative", "kind", "recipient", "address", "weekdays", "every_weeks",
                 "start_date", "windows", "size", "priority", "hot_meal", "in_person", "note"],
    "properties": {
        "id": {"type": "integer"}, "cooperative": {"type": "string"},
        "reference": _nullable({"type": "string"}),
        "kind": {"type": "string", "enum": list(ORDER_KINDS)},
        "recipient": {"type": "string"}, "address": {"type": "string"},
        "buurt": _nullable({"type": "string"}), "phone": _nullable({"type": "string"}),
        "weekdays": {"type": "array", "items": {"type": "string", "enum": list(WEEKDAYS)}},
        "every_weeks": {"type": "integer"}, "start_date": DATE, "end_date": _nullable(DATE),
        "windows": {"type": "array", "items": WINDOW},
        "pickup": _nullable({"type": "object", "properties": {
            "name": _nullable({"type": "string"}), "address": {"type": "string"}}}),
        "ready_time": _nullable(TIME), "praatje_minutes": _nullable({"type": "integer"}),
        "size": {"type": "integer"}, "priority": {"type": "integer"},
        "hot_meal": {"type": "boolean"}, "in_person": {"type": "boolean"},
        "note": {"type": "string"},
        "coming": {"type": "array", "description": "Its next days: the order made for each "
                   "(made when the day is planned or first listed), or a pause.",
                   "items": {"type": "object", "required": ["date", "paused"], "properties": {
                       "date": DATE, "order_id": _nullable({"type": "integer"}),
                       "status": _nullable({"type": "string", "enum": list(STATUSES)}),
                       "paused": {"type": "boolean"}}}},
    },
}

ORDER_REF = {"$ref": "#/components/schemas/Order"}
STANDING_REF = {"$ref": "#/components/schemas/StandingOrder"}
COMMON = {"401": {"$ref": "#/components/responses/Unauthorized"}}
BODY_ERRORS = {"400": _error("The body is not valid JSON."),
               "413": _error("The body is too large."),
               "415": _error("The body is not JSON."),
               "422": _error("A field is not valid; 'fields' says which and why.")}
ORDER_ID = {"name": "order_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}
STANDING_ID = {"name": "standing_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1}}


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _standing_action(operation: str, summary: str, schema: dict, conflict: str = "") -> dict:
    responses = {"200": _ok("The standing order.", STANDING_REF), **COMMON, **BODY_ERRORS,
                 "404": _error("No such standing order of yours.")}
    if conflict:
        responses["409"] = _error(conflict)
    return {"parameters": [STANDING_ID], "post": {
        "operationId": operation, "summary": summary, "requestBody": _json_body(schema),
        "responses": responses}}


PAUSE = {"type": "object", "additionalProperties": False, "required": ["start_date"],
         "properties": {"start_date": DATE, "end_date": _nullable(DATE),
                        "reason": _nullable({"type": "string", "maxLength": REASON_LENGTH})}}


def standing_paths() -> dict:
    """The standing orders' operations."""
    return {
        "/standing-orders": {
            "get": {"operationId": "listStandingOrders", "summary": "Your standing orders",
                    "responses": {"200": _ok("Your standing orders.", {
                        "type": "object", "required": ["standing_orders"],
                        "properties": {"standing_orders": {"type": "array",
                                                           "items": STANDING_REF}}}),
                        **COMMON}},
            "post": {"operationId": "createStandingOrder",
                     "summary": "Submit a standing order: an order repeated on weekdays",
                     "requestBody": _json_body({"$ref": "#/components/schemas/StandingInput"}),
                     "responses": {"201": _ok("The standing order.", STANDING_REF, {
                         "Location": {"description": "Its URL.",
                                      "schema": {"type": "string"}}}),
                         **COMMON, **BODY_ERRORS,
                         "409": _error("The reference is already used.")}},
        },
        "/standing-orders/{standing_id}": {
            "parameters": [STANDING_ID],
            "get": {"operationId": "getStandingOrder", "summary": "One of your standing orders",
                    "responses": {"200": _ok("The standing order.", STANDING_REF), **COMMON,
                                  "404": _error("No such standing order of yours.")}},
        },
        "/standing-orders/{standing_id}/pauses": _standing_action(
            "pauseStandingOrder", "Pause it from start_date to end_date (one day without "
            "end_date); orders already made for those days are cancelled", PAUSE),
        "/standing-orders/{standing_id}/cancel-day": _standing_action(
            "cancelStandingDay", "Call off one of its days (the order made for it is "
            "cancelled)", {"type": "object", "additionalProperties": False,
                           "required": ["date"], "properties": {"date": DATE}},
            "The order of that day is under way and can no longer be cancelled."),
        "/standing-orders/{standing_id}/end": _standing_action(
            "endStandingOrder", "End it after last_date (default today); orders made for later "
            "days are cancelled", {"type": "object", "additionalProperties": False,
                                   "properties": {"last_date": _nullable(DATE)}}),
    }


def document(base: str = "/api/v1") -> dict:
    order_input = {"type": "object", "additionalProperties": False,
                   "required": ["recipient", "address", "kind", "service_date"],
                   "properties": INPUT_PROPERTIES}
    order_patch = {"type": "object", "additionalProperties": False,
                   "properties": INPUT_PROPERTIES}
    created = {"Location": {"description": "The order's URL.", "schema": {"type": "string"}},
               "Idempotent-Replayed": {"description": "\"true\" when this repeats an earlier "
                                       "create with the same key.",
                                       "schema": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Buurtroute partner API", "version": "1.0.0",
                 "description": "Partners (pharmacies, meal kitchens, parcel points) submit "
                                "and follow their orders for the buurtassistent. A partner "
                                "sees only its own orders."},
        "servers": [{"url": base}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/orders": {
                "get": {"operationId": "listOrders", "summary": "Your orders",
                        "parameters": [
                            {"name": "date", "in": "query", "schema": DATE},
                            {"name": "cooperative", "in": "query",
                             "schema": {"type": "string", "minLength": 1}},
                            {"name": "status", "in": "query",
                             "schema": {"type": "string", "enum": list(STATUSES)}}],
                        "responses": {"200": _ok("Your orders, by date.", {
                            "type": "object", "required": ["orders"],
                            "properties": {"orders": {"type": "array", "items": ORDER_REF}}}),
                            **COMMON, "422": _error("A query parameter is not valid.")}},
                "post": {"operationId": "createOrder", "summary": "Submit an order",
                         "parameters": [{"name": "Idempotency-Key", "in": "header",
                                         "description": "Repeat a create safely: the same "
                                         "key and body return the first order.",
                                         "schema": {"type": "string", "minLength": 1,
                                                    "maxLength": 200}}],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/OrderInput"}}}},
                         "responses": {"201": _ok("The order.", ORDER_REF, created), **COMMON,
                                       **BODY_ERRORS,
                                       "409": _error("The reference is already used.")}},
            },
            "/orders/{order_id}": {
                "parameters": [ORDER_ID],
                "get": {"operationId": "getOrder", "summary": "One of your orders",
                        "responses": {"200": _ok("The order.", ORDER_REF), **COMMON,
                                      "404": _error("No such order of yours.")}},
                "patch": {"operationId": "updateOrder", "summary": "Change a submitted order",
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/OrderPatch"}}}},
                          "responses": {"200": _ok("The changed order.", ORDER_REF), **COMMON,
                                        **BODY_ERRORS, "404": _error("No such order of yours."),
                                        "409": _error("The order can no longer change, or the "
                                                      "reference is already used.")}},
            },
            "/orders/{order_id}/cancel": {
                "parameters": [ORDER_ID],
                "post": {"operationId": "cancelOrder", "summary": "Cancel an order",
                         "responses": {"200": _ok("The cancelled order.", ORDER_REF), **COMMON,
                                       "404": _error("No such order of yours."),
                                       "409": _error("The order can no longer be cancelled.")}},
            },
            "/addresses/check": {
                "post": {"operationId": "checkAddress",
                         "summary": "Check an address against the area's address index",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object", "additionalProperties": False,
                                        "required": ["query"], "properties": {"query": {
                                            "type": "string", "minLength": 1,
                                            "maxLength": 200}, "cooperative": COOPERATIVE}}}}},
                         "responses": {"200": _ok("The normalised address and its buurt.", {
                             "type": "object", "required": ["address", "buurt", "lat", "lon"],
                             "properties": {"address": {"type": "string"},
                                            "buurt": {"type": "string"},
                                            "lat": {"type": "number"},
                                            "lon": {"type": "number"}}}),
                                       **COMMON, **BODY_ERRORS}},
            },
            **standing_paths(),
            "/openapi.json": {
                "get": {"operationId": "openapi", "summary": "This document", "security": [],
                        "responses": {"200": _ok("The OpenAPI document.", {"type": "object"})}},
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A partner's API token."}},
            "responses": {"Unauthorized": _error("No token, or a token that is not valid.")},
            "schemas": {"Order": ORDER, "OrderInput": order_input, "OrderPatch": order_patch,
                        "StandingOrder": STANDING_ORDER, "StandingInput": {
                            "type": "object", "additionalProperties": False,
                            "required": ["recipient", "address", "kind", "weekdays",
                                         "start_date"], "properties": STANDING_PROPERTIES},
                        "Error": ERROR},
        },
    }
