"""The JSON API under hostile input: schemathesis drives every operation of the project's own
OpenAPI document (valid and deliberately invalid requests), and hypothesis sends order payloads
full of SQL, HTML/script, formula cells, odd unicode and huge fields.

What must hold: no 5xx ever; every 4xx is JSON with a sentence saying what is wrong; a refused
create stores nothing (no order, no resident, no idempotency record); an accepted one stores
exactly what was sent, and the pages that show it escape it.
"""

from __future__ import annotations

import json
import sqlite3

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from web.openapi import document

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, bearer, client, login, seeded_db, web_area)

EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@schemathesis.check
def useful_client_error(ctx, response, case):
    """A 4xx says, in JSON, what is wrong: ``{"error": "<sentence>", "fields": {...}}``."""
    if 400 <= response.status_code < 500:
        try:
            body = json.loads(response.text)
        except ValueError:
            raise AssertionError(f"{response.status_code} without a JSON body: "
                                 f"{response.text[:200]!r}") from None
        assert isinstance(body, dict), body
        message = body.get("error")
        assert isinstance(message, str) and len(message.split()) >= 2, body
        assert isinstance(body.get("fields", {}), dict), body


# The document is built by the same code that serves /api/v1/openapi.json (a test below checks
# they are equal); each test then sends its cases to that test's own app (a fresh database).
schema = schemathesis.openapi.from_dict(document("/api/v1"))
schema.config.generation.update(modes=["positive", "negative"])


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/v1/openapi.json").get_json() == document("/api/v1")


@schema.parametrize()
@EXAMPLES
def test_api_never_fails_and_explains_every_refusal(case, app, accounts):
    """Every operation, with a valid partner token: no 5xx, every 4xx explained."""
    token = list(accounts.tokens.values())[0]
    case.call_and_validate(app=app, headers=bearer(token),
                           checks=[not_a_server_error, useful_client_error])


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_without_a_token_is_401_explained(case, app):
    if case.path.endswith("/openapi.json"):
        return
    case.headers = {k: v for k, v in (case.headers or {}).items()
                    if k.lower() != "authorization"}
    response = case.call(app=app)
    # 404/405: a path or method that does not exist is told before anything is authenticated
    assert response.status_code in (401, 404, 405), (case.method, case.path,
                                                    response.status_code)
    useful_client_error(None, response, case)


# --- hand-made hostile payloads ----------------------------------------------------------------

PAYLOADS = (
    "'; DROP TABLE orders; --", "\" OR 1=1 --", "1; DELETE FROM residents", "Robert'); --",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>",
    "javascript:alert(1)", "{{7*7}}", "{% print 1 %}", "${7*7}",
    "=cmd|' /C calc'!A0", "+SUM(1,1)", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")",
    "\u202eevil\u202c", "\u0000nul", "e\u0301", "😀" * 20, "Ａ" * 10, "\ufeffbom",
    "a" * 10_000, "\n\r\t", "..\\..\\etc\\passwd", "%00", "%s%s%s%n",
)
hostile_text = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=300),
                         st.text(alphabet=st.characters(codec="utf-8"), min_size=300,
                                 max_size=3000))
FIELDS = ("recipient", "address", "phone", "pickup", "note", "reference", "ready_time",
          "service_date", "kind")


def base_order(**changes) -> dict:
    return {"recipient": "J. Test", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat(), "windows": [{"start": "10:00", "end": "12:00"}],
            **changes}


def counts(app) -> dict[str, int]:
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("orders", "residents", "order_events", "idempotency_keys")}


@pytest.fixture
def hostile_env(app, accounts):
    token = list(accounts.tokens.values())[0]
    partner = app.test_client()
    assert login(partner, "apotheek1").status_code == 302
    coordinator = app.test_client()
    assert login(coordinator, "coordinator").status_code == 302
    return app, token, partner, coordinator


def assert_escaped(html: str, value: str) -> None:
    """No raw tag from ``value`` reached the page."""
    for raw in ("<script>", "<img src=x", "<svg onload"):
        if raw in value:
            assert raw not in html, f"{raw!r} rendered unescaped"


@given(field=st.sampled_from(FIELDS), value=hostile_text,
       key=st.one_of(st.none(), st.text(min_size=1, max_size=250)))
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_hostile_order_fields_never_crash_or_store_half(hostile_env, field, value, key):
    app, token, partner, coordinator = hostile_env
    api = app.test_client()
    before = counts(app)
    headers = bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = api.post("/api/v1/orders", json=base_order(**{field: value}), headers=headers)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    after = counts(app)
    if response.status_code != 201:
        body = response.get_json()
        assert body and body["error"], response.get_data(as_text=True)[:300]
        assert after == before, "a refused order left rows behind"
        return
    order = response.get_json()
    assert after["orders"] == before["orders"] + 1
    assert after["idempotency_keys"] == before["idempotency_keys"] + (key is not None)
    stored = api.get(f"/api/v1/orders/{order['id']}", headers=bearer(token)).get_json()
    assert stored == order
    for name in ("note", "reference", "phone"):
        if field == name:
            assert stored[name] in (value.strip(), " ".join(value.split())), name
    for client_, path in ((partner, f"/partner/orders/{order['id']}"),
                          (partner, f"/partner/orders?date={DAY.isoformat()}"),
                          (coordinator, f"/coordinator/?date={DAY.isoformat()}")):
        page = client_.get(path)
        assert page.status_code == 200, path
        assert_escaped(page.get_data(as_text=True), value)


@pytest.mark.parametrize("body", [
    b"", b"null", b"[]", b"\"text\"", b"123", b"{", b"{\"a\":" * 5000, b"\xff\xfe\x00",
    json.dumps({"recipient": ["J."]}).encode(), json.dumps({"windows": "10:00-12:00"}).encode(),
    json.dumps({"windows": [None, 1, "x"]}).encode(),
    json.dumps({"windows": [{"start": "10:00", "end": "12:00", "x": 1}] * 50}).encode(),
    json.dumps({"size": 10**100}).encode(), json.dumps({"size": 1e308}).encode(),
    json.dumps({"priority": -1}).encode(), json.dumps({"service_date": "9999-99-99"}).encode(),
    json.dumps({"service_date": "0001-01-01"}).encode(), b"{\"size\": NaN}",
    b"{\"size\": Infinity}",
])
def test_malformed_bodies_are_explained_and_store_nothing(app, accounts, body):
    token = list(accounts.tokens.values())[0]
    before = counts(app)
    response = app.test_client().post("/api/v1/orders", data=body, headers={
        **bearer(token), "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (body[:60], response.status_code)
    assert response.get_json()["error"]
    assert counts(app) == before


def test_oversized_body_is_refused_with_a_reason(app, accounts):
    token = list(accounts.tokens.values())[0]
    before = counts(app)
    big = json.dumps(base_order(note="x" * (3 * 1024 * 1024)))
    response = app.test_client().post("/api/v1/orders", data=big, headers={
        **bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"]
    assert counts(app) == before


def test_replayed_idempotency_key_with_a_different_body_is_refused(app, accounts):
    token = list(accounts.tokens.values())[0]
    api = app.test_client()
    headers = {**bearer(token), "Idempotency-Key": "same-key"}
    first = api.post("/api/v1/orders", json=base_order(reference="idem-1"), headers=headers)
    assert first.status_code == 201
    before = counts(app)
    again = api.post("/api/v1/orders", json=base_order(reference="idem-1"), headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    other = api.post("/api/v1/orders", json=base_order(reference="idem-2"), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["fields"]
    assert counts(app) == before


@pytest.mark.parametrize("field", ["recipient", "note"])
def test_script_and_formula_text_is_stored_verbatim_and_shown_escaped(hostile_env, field):
    """Free text is the partner's: kept as sent (no silent mangling), never run as markup."""
    app, token, partner, coordinator = hostile_env
    api = app.test_client()
    value = "<script>alert('x')</script> =cmd|' /C calc'!A0 '; DROP TABLE orders; --"
    response = api.post("/api/v1/orders", json=base_order(**{field: value}),
                        headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order[field] == value
    shows = {f"/partner/orders/{order['id']}", f"/partner/orders/{order['id']}/edit"}
    if field == "recipient":  # the lists show names, not notes
        shows |= {f"/partner/orders?date={DAY.isoformat()}", f"/coordinator/?date={DAY}"}
    for client_, path in ((partner, f"/partner/orders/{order['id']}"),
                          (partner, f"/partner/orders?date={DAY.isoformat()}"),
                          (partner, f"/partner/orders/{order['id']}/edit"),
                          (coordinator, f"/coordinator/?date={DAY}")):
        html = client_.get(path).get_data(as_text=True)
        assert "<script>alert(" not in html, path
        if path in shows:
            assert "&lt;script&gt;alert(" in html, path
    assert counts(app)["orders"] > 0  # the DROP TABLE text did nothing


@pytest.mark.parametrize("body", [b"[1]", b"\"Unioninkatu 29\"", b"5", b"null",
                                  b"{\"query\": 5}", b"{\"query\": [\"a\"]}", b"{\"a\":" * 5000,
                                  b"{\"query\": \"" + b"x" * 5000 + b"\"}"])
def test_live_address_check_of_the_form_answers_hostile_json_with_400(hostile_env, body):
    """The order form's live address check (session + CSRF header) is an API too."""
    app, _, partner, _ = hostile_env
    token = partner.get("/partner/orders/new").get_data(as_text=True).split(
        'name="csrf-token" content="')[1].split('"')[0]
    response = partner.post("/address/check", data=body, headers={
        "Content-Type": "application/json", "X-CSRFToken": token})
    assert response.status_code in (200, 400), (body[:20], response.status_code)
    answer = response.get_json()
    assert answer is not None and answer["message"], body[:20]
    if response.status_code == 200:
        assert answer["ok"] is False
