"""One log line per request, with nothing personal in it.

Why: raw paths and query strings carry names, addresses and search terms (``?q=Jansen``), and
form bodies carry everything, so the access log records only the method, the route *template*
(``/partner/orders/<int:order_id>``, never the path), the status, the duration and the id of
the user (or of the API's partner). ``LOG_JSON`` makes each line a JSON object for a log
collector.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from flask import Flask, g, request

log = logging.getLogger("buurtroute.requests")


def fields() -> dict:
    """What one request's line says."""
    user = g.get("user")
    partner = g.get("partner")
    started = g.get("request_started")
    return {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else "(no route)",
        "user_id": user.id if user is not None else None,
        "partner_id": partner.id if partner is not None else None,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }


def line(values: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(values, sort_keys=True)
    who = (f" user={values['user_id']}" if values["user_id"] is not None else "") + (
        f" partner={values['partner_id']}" if values["partner_id"] is not None else "")
    return (f"{values['method']} {values['route']} {values['status']} "
            f"{values['duration_ms']}ms{who}")


def init_app(app: Flask) -> None:
    if not app.config["REQUEST_LOG"]:
        return
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    as_json = bool(app.config["LOG_JSON"])

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response):
        values = {**fields(), "status": response.status_code}
        log.info(line(values, as_json))
        return response
