"""The partners' JSON API on the seeded demo day: tokens, own-orders-only, validation,
idempotent create, and every response checked against the OpenAPI document."""

from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import func, select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, app, accounts, bearer, client, db_session, seeded_db, web_area)
from web.store import ApiToken, IdempotencyRecord, Order, Partner


def token_of(accounts, kind):
    names = {"pharmacy": 0, "pharmacy2": 1, "meal_kitchen": 2, "parcel_point": 3,
             "cooperative": 4}
    return list(accounts.tokens.values())[names[kind]]


@pytest.fixture
def spec(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate_spec(document)
    return document


def check(spec, response, status: int, op: tuple[str, str] | None = None):
    """The response has ``status``; its body matches the schema the document promises for
    operation ``op`` = (method, path) (which must list the status), or the Error schema."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    schema = {"$ref": "#/components/schemas/Error"}
    if op is not None:
        documented = spec["paths"][op[1]][op[0]]["responses"]
        assert str(status) in documented, f"{status} is not documented for {op}"
        answer = documented[str(status)]
        if "$ref" in answer:
            answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        schema = answer["content"]["application/json"]["schema"]
    elif status < 400:
        return response.get_json()
    OAS30Validator({**schema, "components": spec["components"]}).validate(response.get_json())
    return response.get_json()


LIST, CREATE = ("get", "/orders"), ("post", "/orders")
ONE, PATCH = ("get", "/orders/{order_id}"), ("patch", "/orders/{order_id}")
CANCEL, ADDRESS = ("post", "/orders/{order_id}/cancel"), ("post", "/addresses/check")


def check_order(spec, body):
    OAS30Validator({"$ref": "#/components/schemas/Order", "components": spec["components"]}
                   ).validate(body)


def new_order(web_area, **changes):
    return {"recipient": "J. Test", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat(), "windows": [{"start": "10:00", "end": "12:00"}],
            **changes}


def test_openapi_document_is_valid_and_public(client, spec):
    assert spec["openapi"].startswith("3.0")
    assert "/orders" in spec["paths"] and "/orders/{order_id}" in spec["paths"]
    kinds = spec["components"]["schemas"]["OrderInput"]["properties"]["kind"]["enum"]
    assert kinds == ["medicine", "meal", "parcel", "visit", "klusje"]


def test_no_or_bad_token_is_401_with_useful_body(client, spec):
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("brt_not-a-token")):
        response = client.get("/api/v1/orders", headers=headers)
        body = check(spec, response, 401, LIST)
        assert "Authorization" in body["fields"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_list_shows_only_own_orders(client, accounts, spec, app):
    body = check(spec, client.get("/api/v1/orders", headers=bearer(token_of(accounts,
                                                                            "pharmacy"))), 200,
                 LIST)
    with db_session(app) as session:
        partner = session.scalar(select(Partner).where(Partner.name == list(accounts.tokens)[0]))
        own = session.scalar(select(func.count(Order.id)).where(Order.partner_id == partner.id))
    assert len(body["orders"]) == own > 0
    for order in body["orders"]:
        check_order(spec, order)
        assert order["kind"] == "medicine" and order["label"] == "apotheekpakket"


def test_create_get_and_list(client, accounts, spec, web_area):
    token = token_of(accounts, "pharmacy")
    response = client.post("/api/v1/orders", json=new_order(web_area, reference="rx-1"),
                           headers=bearer(token))
    order = check(spec, response, 201, CREATE)
    assert order["address"] == "Unioninkatu 29, 00170" and order["buurt"] == "Kluuvi"
    assert order["status"] == "submitted" and [h["status"] for h in order["history"]] == [
        "submitted"]
    assert order["pickup"]["name"] == list(accounts.tokens)[0]  # the pharmacy's own place
    assert order["in_person"] is True  # medicines are handed over in person by default
    assert response.headers["Location"] == f"/api/v1/orders/{order['id']}"
    again = check(spec, client.get(response.headers["Location"], headers=bearer(token)), 200,
                  ONE)
    assert again == order
    listed = client.get(f"/api/v1/orders?date={DAY.isoformat()}&status=submitted",
                        headers=bearer(token)).get_json()["orders"]
    assert order["id"] in [o["id"] for o in listed]


@pytest.mark.parametrize("changes, field", [
    ({"address": "Unioninkatu 9999"}, "address"),
    ({"address": "Nonexistentstreet 3"}, "address"),
    ({"recipient": "  "}, "recipient"),
    ({"kind": "meal"}, "kind"),  # a pharmacy cannot send meals
    ({"kind": "pizza"}, "kind"),
    ({"service_date": "2020-01-01"}, "service_date"),
    ({"service_date": "14-03-2025"}, "service_date"),
    ({"windows": [{"start": "12:00", "end": "10:00"}]}, "windows"),
    ({"windows": [{"start": "9:00", "end": "10:00"}]}, "windows"),
    ({"windows": [{"start": "10:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
     "windows"),
    ({"ready_time": "12:30"}, "ready_time"),  # after the only window has closed
    ({"size": 21}, "size"),
    ({"size": -1}, "size"),
    ({"size": "2"}, "size"),
    ({"praatje_minutes": True}, "praatje_minutes"),
    ({"hot_meal": True}, "hot_meal"),
    ({"note": "2x per dag 500 mg innemen"}, "note"),
    ({"phone": "call me"}, "phone"),
    ({"reference": "has spaces"}, "reference"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_orders_are_refused_with_the_field_and_nothing_stored(
        client, accounts, spec, app, web_area, changes, field):
    with db_session(app) as session:
        before = session.scalar(select(func.count(Order.id)))
    response = client.post("/api/v1/orders", json=new_order(web_area, **changes),
                           headers=bearer(token_of(accounts, "pharmacy")))
    body = check(spec, response, 422, CREATE)
    assert list(body["fields"]) == [field] and body["fields"][field]
    with db_session(app) as session:
        assert session.scalar(select(func.count(Order.id))) == before


def test_unknown_address_error_names_candidates(client, accounts, spec, web_area):
    response = client.post("/api/v1/orders", json=new_order(web_area, address="Unioninkatu 99"),
                           headers=bearer(token_of(accounts, "pharmacy")))
    reason = check(spec, response, 422)["fields"]["address"]
    assert "Did you mean" in reason and "Unioninkatu" in reason.split("Did you mean")[1]


def test_body_errors(client, accounts, spec):
    headers = bearer(token_of(accounts, "pharmacy"))
    check(spec, client.post("/api/v1/orders", data="recipient=x", headers=headers), 415, CREATE)
    check(spec, client.post("/api/v1/orders", data="{oops", headers=headers,
                            content_type="application/json"), 400, CREATE)
    check(spec, client.post("/api/v1/orders", json=[1, 2], headers=headers), 422, CREATE)
    check(spec, client.post("/api/v1/orders", data="x" * 3_000_000, headers=headers,
                            content_type="application/json"), 413, CREATE)
    response = client.delete("/api/v1/orders", headers=headers)
    check(spec, response, 405)
    assert "POST" in response.headers["Allow"]
    check(spec, client.get("/api/v1/nothing-here", headers=headers), 404)
    check(spec, client.get("/api/v1/orders?date=tomorrow", headers=headers), 422, LIST)


def test_idempotent_create(client, accounts, spec, app, web_area):
    headers = {**bearer(token_of(accounts, "pharmacy")), "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/orders", json=new_order(web_area), headers=headers)
    second = client.post("/api/v1/orders", json=new_order(web_area), headers=headers)
    assert check(spec, first, 201)["id"] == check(spec, second, 201)["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    with db_session(app) as session:
        assert session.scalar(select(func.count(Order.id)).where(
            Order.resident.has(name="J. Test"))) == 1
    reused = client.post("/api/v1/orders", json=new_order(web_area, recipient="K. Other"),
                         headers=headers)
    assert "Idempotency-Key" in check(spec, reused, 422)["fields"]
    # Another partner's keys are its own.
    other = client.post("/api/v1/orders", json=new_order(web_area, kind="meal"),
                        headers={**bearer(token_of(accounts, "meal_kitchen")),
                                 "Idempotency-Key": "abc-123"})
    assert check(spec, other, 201)["id"] != check(spec, first, 201)["id"]
    with db_session(app) as session:
        assert session.scalar(select(func.count(IdempotencyRecord.id))) == 2


def test_failed_create_does_not_burn_the_key(client, accounts, spec, web_area):
    headers = {**bearer(token_of(accounts, "pharmacy")), "Idempotency-Key": "k-1"}
    check(spec, client.post("/api/v1/orders", json=new_order(web_area, size=99),
                            headers=headers), 422)
    check(spec, client.post("/api/v1/orders", json=new_order(web_area), headers=headers), 201)


def test_partner_cannot_read_or_change_another_partners_order(client, accounts, spec, app):
    mine = bearer(token_of(accounts, "pharmacy"))
    theirs = client.get("/api/v1/orders", headers=bearer(token_of(accounts, "meal_kitchen"))
                        ).get_json()["orders"][0]
    url = f"/api/v1/orders/{theirs['id']}"
    check(spec, client.get(url, headers=mine), 404, ONE)
    check(spec, client.patch(url, json={"size": 3}, headers=mine), 404, PATCH)
    check(spec, client.post(url + "/cancel", headers=mine), 404, CANCEL)
    owner = client.get(url, headers=bearer(token_of(accounts, "meal_kitchen"))).get_json()
    assert owner == theirs  # unchanged


def test_patch_and_cancel(client, accounts, spec, web_area):
    headers = bearer(token_of(accounts, "pharmacy"))
    order = client.post("/api/v1/orders", json=new_order(web_area), headers=headers).get_json()
    url = f"/api/v1/orders/{order['id']}"
    changed = check(spec, client.patch(url, json={"windows": [{"start": "14:00",
                                                                "end": "15:00"}],
                                                   "phone": "030 123 4567"},
                                        headers=headers), 200, PATCH)
    assert changed["windows"] == [{"start": "14:00", "end": "15:00"}]
    assert changed["phone"] == "030 123 4567" and changed["recipient"] == "J. Test"
    assert "address" in check(spec, client.patch(url, json={"address": "Nowhere 1"},
                                                 headers=headers), 422)["fields"]
    cancelled = check(spec, client.post(url + "/cancel", headers=headers), 200, CANCEL)
    assert [(h["status"], h["note"]) for h in cancelled["history"]] == [
        ("submitted", ""), ("submitted", "changed: phone, windows"), ("cancelled", "")]
    check(spec, client.patch(url, json={"size": 2}, headers=headers), 409, PATCH)
    check(spec, client.post(url + "/cancel", headers=headers), 409, CANCEL)


def test_reference_is_unique_per_partner(client, accounts, spec, web_area):
    headers = bearer(token_of(accounts, "pharmacy"))
    check(spec, client.post("/api/v1/orders", json=new_order(web_area, reference="R-9"),
                            headers=headers), 201)
    body = check(spec, client.post("/api/v1/orders", json=new_order(web_area, reference="R-9"),
                                   headers=headers), 409, CREATE)
    assert "reference" in body["fields"]
    check(spec, client.post("/api/v1/orders", json=new_order(web_area, reference="R-9",
                                                             kind="meal"),
                            headers=bearer(token_of(accounts, "meal_kitchen"))), 201)


def test_revoked_token_is_refused(client, accounts, spec, app):
    token = token_of(accounts, "parcel_point")
    check(spec, client.get("/api/v1/orders", headers=bearer(token)), 200)
    with db_session(app) as session:
        for row in session.scalars(select(ApiToken)):
            if row.partner.kind == "parcel_point":
                row.revoked_at = row.created_at
        session.commit()
    check(spec, client.get("/api/v1/orders", headers=bearer(token)), 401)


def test_tokens_are_stored_hashed(app, accounts):
    with db_session(app) as session:
        stored = [row.token_hash for row in session.scalars(select(ApiToken))]
    assert stored and not set(stored) & set(accounts.tokens.values())
    assert all(len(h) == 64 for h in stored)


def test_address_check(client, accounts, spec):
    headers = bearer(token_of(accounts, "pharmacy"))
    ok = check(spec, client.post("/api/v1/addresses/check", json={"query": "kaivokatu 2"},
                                 headers=headers), 200, ADDRESS)
    assert ok["address"].startswith("Kaivokatu 2") and ok["buurt"]
    bad = check(spec, client.post("/api/v1/addresses/check", json={"query": "Kaivokatu 999"},
                                  headers=headers), 422, ADDRESS)
    assert bad["candidates"] and all(c.startswith("Kaivokatu") for c in bad["candidates"])


def test_dates_ahead_are_limited(client, accounts, spec, web_area):
    far = (DAY + timedelta(days=90)).isoformat()
    body = check(spec, client.post("/api/v1/orders", json=new_order(web_area, service_date=far),
                                   headers=bearer(token_of(accounts, "pharmacy"))), 422)
    assert "60 days" in body["fields"]["service_date"]


def test_a_phone_number_stays_with_the_partner_that_gave_it(client, accounts, spec, web_area):
    pharmacy = bearer(token_of(accounts, "pharmacy"))
    kitchen = bearer(token_of(accounts, "meal_kitchen"))
    first = client.post("/api/v1/orders", json=new_order(web_area, phone="030 111 2222"),
                        headers=pharmacy).get_json()
    second = check(spec, client.post("/api/v1/orders", json=new_order(web_area, kind="meal"),
                                     headers=kitchen), 201, CREATE)
    assert first["phone"] == "030 111 2222"
    assert second["recipient"] == first["recipient"] and second["phone"] is None
