"""`Klarna-Idempotency-Key` on OM writes: the first response per (account, key) is replayed
verbatim for 24 hours of simulator time. The body of a retry is not compared (API.md §0.5)."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Response, current_app, make_response, request
from werkzeug.datastructures import Headers

from .clock import iso, parse_iso
from .wire import ApiError, correlation_id, current_account, error_response

HEADER = "Klarna-Idempotency-Key"
KIND = "idempotency"
LIFETIME = timedelta(hours=24)


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        sim = current_app.extensions["klarna_simulator"]
        doc_id = f"{current_account()['username']}\n{key}"
        with sim.transaction():
            saved = sim.store.get(KIND, doc_id)
            if saved and sim.clock.now() < parse_iso(saved["expires_at"]):
                replay = Response(saved["body"].encode("latin-1"), status=saved["status"])
                replay.headers = Headers(saved["headers"])
                return replay
            try:
                response = make_response(view(*args, **kwargs))
            except ApiError as error:
                response = error_response(error)
            if response.status_code < 500:
                response.headers.setdefault("Klarna-Correlation-Id", correlation_id())
                sim.store.put(KIND, doc_id, {
                    "status": response.status_code,
                    "headers": [[k, v] for k, v in response.headers.items() if k.lower() != "content-length"],
                    "body": response.get_data().decode("latin-1"),
                    "expires_at": iso(sim.clock.now() + LIFETIME),
                })
            return response

    return wrapper
