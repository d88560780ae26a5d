"""Every POST needs the CSRF token, except Klarna's server-to-server calls (re-read from Klarna)."""
import re

import pytest

MACHINE_TO_MACHINE = {"storefront.klarna_status_update", "storefront.klarna_notification"}
SAMPLE_VALUES = {"version_code": "en", "token": "t", "number": "100001", "payment_id": "1", "product_id": "1",
                 "kind": "success", "action": "activate", "method_id": "1", "version_id": "1", "code": "fi",
                 "shipping_id": "1", "slug": "x", "provider": "klarna"}


def post_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith("/static")]


def concrete(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: SAMPLE_VALUES.get(m.group(1), "1"), rule.rule)


def test_every_form_post_is_refused_without_a_token(app, admin_client):
    checked = 0
    for rule in post_rules(app):
        if rule.endpoint in MACHINE_TO_MACHINE:
            continue
        response = admin_client.post(concrete(rule), data={})
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code} without a CSRF token"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("endpoint", sorted(MACHINE_TO_MACHINE))
def test_klarna_callbacks_are_exempt_but_need_the_order_token(app, client, endpoint):
    [rule] = [r for r in post_rules(app) if r.endpoint == endpoint]
    assert client.post(concrete(rule), json={}).status_code == 404  # no such order token
