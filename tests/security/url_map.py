"""Routes as the URL maps declare them, turned into requests: the security tests walk these, so a
new route is checked without anyone listing it."""
from __future__ import annotations

import re

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Klarna's server-to-server calls: no cookies, no CSRF token; they only make the shop re-read Klarna.
KLARNA_CALLBACKS = frozenset({"storefront.klarna_status_update", "storefront.klarna_notification"})
ADMIN_PUBLIC = frozenset({"admin.login"})
SIMULATOR_OPEN_BLUEPRINTS = frozenset({"payments", "hpp", "om", "page"})  # Klarna's APIs and hosted page
SAMPLE_VALUES = {"version_code": "en", "token": "t", "kind": "success", "action": "activate", "code": "fi",
                 "slug": "x", "provider": "klarna", "order_id": "no-such-order", "username": "PK_demo_12345",
                 "filename": "css/shop.css"}
ARGUMENT = re.compile(r"<(?:([^:>(]+)(?:\([^>]*\))?:)?([^>]+)>")


def concrete(rule, prefix: str = "") -> str:
    def value(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "any":
            return re.search(r"any\(([^,)]+)", rule.rule).group(1).strip()
        return SAMPLE_VALUES.get(name, "1")

    return prefix + ARGUMENT.sub(value, rule.rule)


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def shop_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def admin_rules(app):
    return [rule for rule in shop_rules(app) if rule.endpoint.startswith("admin.") and rule.endpoint not in ADMIN_PUBLIC]


def simulator_staff_rules(app):
    """The portal and the control API: every simulator route but Klarna's own APIs and hosted page."""
    simulator = app.extensions["klarna_simulator_app"]
    return [rule for rule in simulator.url_map.iter_rules()
            if rule.endpoint not in ("static", "home") and rule.endpoint.split(".")[0] not in SIMULATOR_OPEN_BLUEPRINTS]


def state_changing(rules):
    return [(rule, method) for rule in rules for method in methods(rule) if method in STATE_CHANGING]
