"""Every payment action on the order page is its Klarna write plus at most one read."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shop.models import KlarnaCall
from shop.payments.callback_health import INBOUND_PATH
from tests.conftest import csrf_token
from tests.klarna_fixtures import gateway, simulator  # noqa: F401  (fixtures)

from .conftest import post
from .test_payment_panel import app_overrides, english_admin, order, page, payment  # noqa: F401  (fixtures)

READ_ORDER = "GET /ordermanagement/v1/orders/*"


def _calls(session) -> list[str]:
    calls = session.exec(select(KlarnaCall).where(~KlarnaCall.path.startswith(INBOUND_PATH))
                         .order_by(KlarnaCall.id)).all()
    return [f"{call.method} {re.sub(r'/(?=[^/]*[0-9])[^/]{16,}', '/*', call.path)}" for call in calls]


def calls_of_action(client, session, order, payment, action, data=None) -> list[str]:
    """The Klarna calls of one action, after its page was shown (showing the page calls Klarna for nothing)."""
    html = page(client, order)
    fields = {"confirmed": "yes", **(data or {})}
    if action == "refund":
        name = f"refund-{payment.id}-refund_token"
        fields[name] = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)
    before = len(_calls(session))
    response = post(client, f"/admin/orders/{order.number}/payments/{payment.id}/{action}", fields,
                    csrf=csrf_token(html))
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return _calls(session)[before:]


def test_showing_the_order_page_calls_klarna_for_nothing(admin_client, session, order, payment):
    before = _calls(session)
    page(admin_client, order)
    assert _calls(session) == before


@pytest.mark.parametrize("action, write", [
    ("activate", "POST /ordermanagement/v1/orders/*/captures"),
    ("cancel", "POST /ordermanagement/v1/orders/*/cancel"),
])
def test_an_action_is_a_read_and_its_write(admin_client, session, order, payment, action, write):
    assert calls_of_action(admin_client, session, order, payment, action) == [READ_ORDER, write]


def test_extend_is_its_write_and_the_read_of_the_new_date(admin_client, session, order, payment):
    calls = calls_of_action(admin_client, session, order, payment, "extend")
    assert calls == ["POST /ordermanagement/v1/orders/*/extend-authorization-time", READ_ORDER]


def test_check_is_one_read(admin_client, session, order, payment):
    assert calls_of_action(admin_client, session, order, payment, "check") == [READ_ORDER]


def test_refund_and_resend_after_activation(admin_client, session, order, payment):
    calls_of_action(admin_client, session, order, payment, "activate")
    refund = calls_of_action(admin_client, session, order, payment, "refund", {f"refund-{payment.id}-amount": "1.00"})
    assert refund == [READ_ORDER, "POST /ordermanagement/v1/orders/*/refunds"]
    resend = calls_of_action(admin_client, session, order, payment, "resend")
    assert resend == [READ_ORDER, "POST /ordermanagement/v1/orders/*/captures/*/trigger-send-out"]
