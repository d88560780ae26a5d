"""JSON switches for scripts and tests: `/_simulator/faults` and `/_simulator/clock` (staff only, see access.py)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .access import staff_only
from .clock import iso

bp = Blueprint("control", __name__, url_prefix="/_simulator")
staff_only(bp, answer_json=True)


def _sim():
    return current_app.extensions["klarna_simulator"]


def _problem(message: str):
    return jsonify({"error": message}), 400


@bp.get("/faults")
def list_faults():
    return jsonify(_sim().faults.list())


@bp.post("/faults")
def set_fault():
    """Body `{"operation": "create_capture", "kind": "timeout_after", "times": 1}`; times null = always."""
    body = request.get_json(silent=True) or {}
    try:
        _sim().faults.set(body.get("operation") or "*", body.get("kind", ""), body.get("times"))
    except (TypeError, ValueError) as exc:
        return _problem(str(exc))
    return jsonify(_sim().faults.list()), 201


@bp.delete("/faults")
def clear_faults():
    _sim().faults.clear(request.args.get("operation"))
    return "", 204


@bp.get("/clock")
def read_clock():
    sim = _sim()
    return jsonify({"now": iso(sim.clock.now()), "offset_seconds": sim.clock.offset.total_seconds()})


@bp.post("/clock")
def move_clock():
    """Body `{"days": 29, "hours": 0}` advances; `{"reset": true}` goes back to real time."""
    body = request.get_json(silent=True) or {}
    sim = _sim()
    try:
        if body.get("reset"):
            sim.clock.reset()
        else:
            sim.clock.advance(days=float(body.get("days", 0)), hours=float(body.get("hours", 0)),
                              minutes=float(body.get("minutes", 0)))
    except (TypeError, ValueError) as exc:
        return _problem(str(exc))
    return read_clock()
