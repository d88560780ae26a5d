"""The order page: customer, lines, VAT, currency and frozen rate, history, payments, and its context hook."""
from __future__ import annotations

from flask import template_rendered

from shop.admin import orders as admin_orders
from shop.models import Payment

from .conftest import make_order


def test_a_swedish_order_shows_its_frozen_exchange_rate(admin_client, session):
    order = make_order(session, "sv", items=(("RUN-001", 1),), given_name="Åsa", family_name="Öberg")
    html = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "1 EUR = 11,235 SEK" in html
    assert "1\u00a0009,00\u00a0SEK" in html  # 89,90 € at 11,235 (1 010,03) to whole kronor ending in 9, the Finnish admin's notation
    assert "25 %" in html  # Sweden's standard VAT rate via the percent filter
    assert "Åsa Öberg" in html and "Mannerheimintie 1" in html and "00100 Helsinki" in html


def test_a_euro_order_has_no_exchange_rate(admin_client, session):
    order = make_order(session)
    html = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "1 EUR =" not in html
    assert "25,5 %" in html and "14 %" in html  # one row per VAT rate in the breakdown


def test_lines_totals_and_history(admin_client, session):
    order = make_order(session)
    html = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "Polkujuoksukenkä" in html and "Pakettiautomaatti" in html  # the names stored in Finnish
    assert "179,80\u00a0€" in html  # 2 × 89,90
    assert f"{order.total / 100:.2f}".replace(".", ",") + "\u00a0€" in html
    assert 'id="order-events"' in html and "Order placed" in html


def test_payment_transactions_are_listed(admin_client, session):
    order = make_order(session, "sv")
    session.add(Payment(order_id=order.id, method_id=order.payment_method_id, provider="manual", state="captured",
                        currency="SEK", amount=order.total, captured_amount=order.total))
    session.commit()
    html = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    payments = html[html.index('<section id="payments"'):]
    payments = payments[:payments.index("</section>")]
    assert "Bank transfer" in payments and "Manual" in payments and "Paid" in payments and "SEK" in payments


def test_other_parts_add_to_the_page_context(app, admin_client, session, monkeypatch):
    order = make_order(session)
    monkeypatch.setattr(admin_orders, "ORDER_PAGE_CONTEXT", [lambda o: {"panel_data": f"for {o.number}"}])
    seen = []

    def remember(_sender, template, context, **_extra):
        seen.append(context)

    with template_rendered.connected_to(remember, app):
        assert admin_client.get(f"/admin/orders/{order.number}").status_code == 200
    assert seen[0]["panel_data"] == f"for {order.number}"


def test_an_unknown_order_is_404(admin_client):
    assert admin_client.get("/admin/orders/999999").status_code == 404
