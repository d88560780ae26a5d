"""Editing an order on its page: Klarna approves the new amount and lines first (PATCH authorization),
or the order stays exactly as it was. Through the Flask client, plain and htmx, against the simulator."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlmodel import select

from shop.i18n import money
from shop.models import OrderEvent, Payment, PaymentEvent, PaymentMethod, Product
from tests.conftest import csrf_token
from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator  # noqa: F401  (fixtures)

from .conftest import make_order as bank_transfer_order
from .conftest import post
from .edit_helpers import THREE_LINES, edit, klarna_writes, line_of, page, patches, reloaded, stock_of
from .edit_helpers import app_overrides, english_admin, order, payment  # noqa: F401  (fixtures)


def shown(app, amount: int, currency: str = "EUR") -> str:
    with app.test_request_context(), force_locale("en"):
        return money(amount, currency)


def answer(client, response, *, htmx: bool) -> str:
    if htmx:
        assert response.status_code == 200, response.get_data(as_text=True)[:3000]
        html = response.get_data(as_text=True)
        assert html.lstrip().startswith('<section id="order-edit"')
        for part in ("order-shipping", "order-totals", "order-events", "payments"):
            assert f'id="{part}" class="card" hx-swap-oob="true"' in html
        return html
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_decrease_is_approved_by_klarna_and_stored(app, admin_client, session, simulator, order, payment, htmx):
    old_total, coffee = order.total, line_of(order, "COF-101")
    coffee_stock = stock_of(session, "COF-101")
    response = edit(admin_client, order, htmx=htmx, **{f"quantity_{coffee.id}": "1"})
    html = answer(admin_client, response, htmx=htmx)

    order = reloaded(session, order)
    assert order.total == old_total - coffee.unit_price and order.revision == 1
    assert line_of(order, "COF-101").quantity == 1
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["order_amount"] == order.total and klarna["remaining_authorized_amount"] == order.total
    assert {line["reference"]: line["quantity"] for line in klarna["order_lines"]} == {
        "RUN-001": 1, "COF-101": 1, "CAP-003": 1, "shipping": 1}
    assert sum(line["total_amount"] for line in klarna["order_lines"]) == order.total
    session.refresh(payment)
    assert payment.amount == order.total and payment.pending_event_id is None
    approved = session.exec(select(PaymentEvent).where(PaymentEvent.kind == "edit_approved")).one()
    assert approved.data["from"] == old_total and approved.data["to"] == order.total
    assert approved.data["order_lines"] == klarna["order_lines"]  # the lines Klarna holds
    [edited] = session.exec(select(OrderEvent).where(OrderEvent.kind == "order_edited")).all()
    assert (edited.data["from"], edited.data["to"]) == (old_total, order.total)
    assert stock_of(session, "COF-101") == coffee_stock + 1  # the unit no longer ordered is back in stock
    assert f"Order saved: total {shown(app, old_total)} → {shown(app, order.total)}." in html
    assert "Klarna approved the new amount" in html
    assert f"{shown(app, old_total)} → {shown(app, order.total)}" in html[html.index('id="order-events"'):]


@pytest.mark.parametrize("htmx", [False, True])
def test_an_increase_klarna_declines_leaves_the_order_as_it_was(app, admin_client, session, simulator, order,
                                                                 payment, htmx):
    simulator.orders.set_reject_increases(payment.klarna_order_id)
    before = [(line.reference, line.quantity, line.unit_price) for line in order.lines]
    shoe = line_of(order, "RUN-001")
    shoe_stock = stock_of(session, "RUN-001")
    response = edit(admin_client, order, htmx=htmx, **{f"quantity_{shoe.id}": "2"})
    html = response.get_data(as_text=True)

    assert response.status_code == 409
    assert ("<html" in html) is not htmx
    [patch] = patches(session, payment)
    assert patch.status == 403 and patch.correlation_id
    assert "Klarna did not approve the edit, so the order stays as it was." in html
    assert "Update not allowed. The increase was declined." in html  # Klarna's reason
    assert f"Klarna correlation id: {patch.correlation_id}" in html
    assert "Create new payment transaction" in html and shown(app, shoe.unit_price) in html
    assert 'value="2"' in html  # what the merchant typed stays

    order = reloaded(session, order)
    assert [(line.reference, line.quantity, line.unit_price) for line in order.lines] == before
    assert order.revision == 0 and stock_of(session, "RUN-001") == shoe_stock
    session.refresh(payment)
    assert payment.amount == order.total and payment.pending_event_id is None
    assert simulator.get_order(payment.klarna_order_id)["order_amount"] == order.total
    assert not session.exec(select(OrderEvent).where(OrderEvent.kind == "order_edited")).all()


def test_a_declined_increase_can_be_saved_with_a_new_payment_transaction(app, admin_client, session, simulator,
                                                                         order, payment):
    simulator.orders.set_reject_increases(payment.klarna_order_id)
    shoe = line_of(order, "RUN-001")
    assert edit(admin_client, order, **{f"quantity_{shoe.id}": "2"}).status_code == 409
    bank = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()
    response = edit(admin_client, order, **{f"quantity_{shoe.id}": "2", "action": "new_transaction",
                                            "transaction_method": str(bank.id)})
    html = answer(admin_client, response, htmx=False)
    assert "New payment transaction created: Bank transfer" in html

    order = reloaded(session, order)
    assert line_of(order, "RUN-001").quantity == 2
    manual = session.exec(select(Payment).where(Payment.provider == "manual")).one()
    assert (manual.state, manual.amount) == ("awaiting", shoe.unit_price)
    assert len(patches(session, payment)) == 1  # only the declined one: Klarna keeps its amount
    assert "klarna-mismatch" not in page(admin_client, order)  # Klarna and the new transaction carry the order
    shipped = admin_client.post(f"/admin/orders/{order.number}/ship", data={"action": "all", "confirmed": "yes", "csrf_token": _token(
        admin_client, order)})
    assert shipped.status_code == 303
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["status"] == "CAPTURED" and klarna["captured_amount"] == order.total - shoe.unit_price


@pytest.mark.parametrize("htmx", [False, True])
def test_an_edit_that_changes_nothing_asks_klarna_nothing(admin_client, session, order, payment, htmx):
    writes = len(klarna_writes(session, payment))
    response = edit(admin_client, order, htmx=htmx)
    html = answer(admin_client, response, htmx=htmx)
    assert "Nothing was changed, so nothing was saved or sent to Klarna." in html
    assert len(klarna_writes(session, payment)) == writes and not patches(session, payment)
    assert reloaded(session, order).revision == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_invalid_input_is_422_with_what_was_typed(admin_client, session, order, payment, htmx):
    coffee = line_of(order, "COF-101")
    response = edit(admin_client, order, htmx=htmx, **{f"price_{coffee.id}": "9,9x", f"quantity_{coffee.id}": "-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("<html" in html) is not htmx
    assert "Enter an amount such as 12,90." in html and 'value="9,9x"' in html
    assert 'value="-1"' in html and "<details class=\"order-edit\" open>" in html
    assert not patches(session, payment) and reloaded(session, order).revision == 0


def test_discount_fee_and_an_added_product_are_split_per_vat_rate(app, admin_client, session, simulator, order,
                                                                  payment):
    tea_stock = stock_of(session, "TEA-102")
    tea = session.exec(select(Product).where(Product.sku == "TEA-102")).one()
    response = edit(admin_client, order, add_product=str(tea.id), add_quantity="3", payment_fee="1.50",
                    discount_percent="10")
    answer(admin_client, response, htmx=False)
    order = reloaded(session, order)
    kinds = {line.reference: line.kind for line in order.lines}
    assert kinds["TEA-102"] == "physical" and kinds["payment-fee"] == "surcharge"
    discounts = [line for line in order.lines if line.kind == "discount"]
    assert {line.tax_rate for line in discounts} == {2550, 1400}  # shoes and caps, coffee and tea
    goods = sum(line.total for line in order.goods_lines)
    assert -sum(line.total for line in discounts) == round(goods / 10)
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["order_amount"] == order.total == sum(line["total_amount"] for line in klarna["order_lines"])
    assert {line["type"] for line in klarna["order_lines"]} == {"physical", "shipping_fee", "surcharge", "discount"}
    assert stock_of(session, "TEA-102") == tea_stock - 3


def test_shipped_units_cannot_be_edited_away(admin_client, session, simulator, order, payment):
    shoe = line_of(order, "RUN-001")
    admin_client.post(f"/admin/orders/{order.number}/ship", data={
        "action": "selected", "confirmed": "yes", "csrf_token": _token(admin_client, order),
        **{f"quantity_{line.id}": str(line.quantity if line.id == shoe.id else 0) for line in order.goods_lines}})
    order = reloaded(session, order)
    response = edit(admin_client, order, **{f"quantity_{shoe.id}": "0", f"price_{shoe.id}": "10.00"})
    assert response.status_code == 422
    assert "already shipped. Taking shipped units back is a return." in response.get_data(as_text=True)


def test_after_a_partial_capture_the_rest_is_edited_and_activated(admin_client, session, simulator, order, payment):
    shoe, coffee = line_of(order, "RUN-001"), line_of(order, "COF-101")
    admin_client.post(f"/admin/orders/{order.number}/ship", data={
        "action": "selected", "confirmed": "yes", "csrf_token": _token(admin_client, order),
        **{f"quantity_{line.id}": str(line.quantity if line.id == shoe.id else 0) for line in order.goods_lines}})
    captured = simulator.get_order(payment.klarna_order_id)["captured_amount"]
    order = reloaded(session, order)
    response = edit(admin_client, order, **{f"quantity_{coffee.id}": "1"})
    assert response.status_code == 303
    order = reloaded(session, order)
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["order_amount"] == order.total and klarna["captured_amount"] == captured
    assert klarna["remaining_authorized_amount"] == order.total - captured
    assert admin_client.post(f"/admin/orders/{order.number}/ship", data={
        "action": "all", "confirmed": "yes", "csrf_token": _token(admin_client, order)}).status_code == 303
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["status"] == "CAPTURED" and klarna["captured_amount"] == order.total
    assert len(klarna["captures"]) == 2  # what was captured first was not captured again


def test_an_edit_from_an_older_page_is_refused(admin_client, session, order, payment):
    coffee = line_of(order, "COF-101")
    assert edit(admin_client, order, **{f"quantity_{coffee.id}": "1"}).status_code == 303
    stale = edit(admin_client, order, **{f"quantity_{coffee.id}": "3"})  # `order` still says revision 0
    assert stale.status_code == 409
    assert "The order was changed meanwhile." in stale.get_data(as_text=True)
    assert line_of(reloaded(session, order), "COF-101").quantity == 1 and len(patches(session, payment)) == 1


def test_a_bank_transfer_order_is_edited_without_klarna(app, admin_client, session):
    order = bank_transfer_order(session)
    shoe = line_of(order, "RUN-001")
    stock = stock_of(session, "RUN-001")
    response = edit(admin_client, order, **{f"quantity_{shoe.id}": "3", f"price_{shoe.id}": "80.00"})
    html = answer(admin_client, response, htmx=False)
    order = reloaded(session, order)
    assert line_of(order, "RUN-001").quantity == 3 and line_of(order, "RUN-001").unit_price == 8000
    assert stock_of(session, "RUN-001") == stock - 1
    assert "Order saved" in html and "Klarna approved" not in html


def test_more_than_the_stock_holds_is_refused(admin_client, session, order, payment):
    knife = session.exec(select(Product).where(Product.sku == "KNF-107")).one()
    response = edit(admin_client, order, add_product=str(knife.id), add_quantity=str(knife.stock + 1))
    assert response.status_code == 422 and "left in stock" in response.get_data(as_text=True)
    assert not patches(session, payment)


def _token(client, order) -> str:
    return csrf_token(page(client, order))


def test_what_another_transaction_carries_goes_to_klarna_as_one_adjustment_line(app, admin_client, session,
                                                                                  simulator, order, payment):
    simulator.orders.set_reject_increases(payment.klarna_order_id)
    shoe, coffee = line_of(order, "RUN-001"), line_of(order, "COF-101")
    bank = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()
    edit(admin_client, order, **{f"quantity_{shoe.id}": "2", "action": "new_transaction",
                                 "transaction_method": str(bank.id)})
    order = reloaded(session, order)
    response = edit(admin_client, order, **{f"quantity_{coffee.id}": "1"})  # a decrease: Klarna approves
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]

    order = reloaded(session, order)
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["order_amount"] == order.total - shoe.unit_price  # the bank transfer carries one shoe
    [adjustment] = [line for line in klarna["order_lines"] if line["reference"] == "other-payments"]
    assert adjustment["type"] == "discount" and adjustment["total_amount"] == -shoe.unit_price
    assert adjustment["tax_rate"] == 0 and adjustment["total_tax_amount"] == 0
    assert sum(line["total_amount"] for line in klarna["order_lines"]) == klarna["order_amount"]
    assert "klarna-mismatch" not in page(admin_client, order)


def test_a_percentage_replaces_the_discount_given_before(admin_client, session, simulator, order, payment):
    assert edit(admin_client, order, discount_amount="5.00").status_code == 303
    order = reloaded(session, order)
    assert edit(admin_client, order, discount_amount="5.00", discount_percent="10").status_code == 303
    order = reloaded(session, order)
    goods = sum(line.total for line in order.goods_lines)
    assert -sum(line.total for line in order.lines if line.kind == "discount") == round(goods / 10)
    assert simulator.get_order(payment.klarna_order_id)["order_amount"] == order.total


def test_removing_the_last_unshipped_line_finishes_the_shipping(admin_client, session, simulator, order, payment):
    shoe = line_of(order, "RUN-001")
    admin_client.post(f"/admin/orders/{order.number}/ship", data={
        "action": "selected", "confirmed": "yes", "csrf_token": _token(admin_client, order),
        **{f"quantity_{line.id}": str(line.quantity if line.id == shoe.id else 0) for line in order.goods_lines}})
    order = reloaded(session, order)
    others = {f"remove_{line.id}": "y" for line in order.goods_lines if line.id != shoe.id}
    assert edit(admin_client, order, **others).status_code == 303
    order = reloaded(session, order)
    assert [line.reference for line in order.goods_lines] == ["RUN-001"] and order.status == "shipped"
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["order_amount"] == order.total == klarna["captured_amount"]


def test_a_product_added_to_a_swedish_order_is_priced_in_kronor(admin_client, session, simulator, gateway):
    order = make_order(session, "sv", products=(("RUN-001", 1),))
    payment = paid_payment(session, simulator, gateway, order)
    mug = session.exec(select(Product).where(Product.sku == "MUG-106")).one()
    response = edit(admin_client, order, add_product=str(mug.id), add_quantity="2", payment_fee="19.00")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    order = reloaded(session, order)
    added = line_of(order, "MUG-106")
    # 15,90 € at 11,235 kr/€ is 178,64 kr; the Swedish price list rounds to whole kronor ending in 9
    assert (added.quantity, added.unit_price, added.tax_rate) == (2, 17900, 2500)
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["purchase_currency"] == "SEK" and klarna["order_amount"] == order.total
    assert {line["reference"]: line["total_amount"] for line in klarna["order_lines"]}["payment-fee"] == 1900


def test_an_unanswered_edit_is_stored_when_the_status_check_gets_klarnas_answer(app, admin_client, session,
                                                                                 simulator, order, payment):
    coffee = line_of(order, "COF-101")
    simulator.faults.set("update_authorization", "timeout_after", times=3)  # Klarna updates, the answer is lost
    lost = edit(admin_client, order, htmx=True, **{f"quantity_{coffee.id}": "1"})
    assert lost.status_code == 409
    assert "Klarna did not answer, so the edit is not saved yet." in lost.get_data(as_text=True)
    assert line_of(reloaded(session, order), "COF-101").quantity == 2  # nothing stored without Klarna's answer
    again = edit(admin_client, order, **{f"quantity_{coffee.id}": "1"})
    assert again.status_code == 409 and "in progress" in again.get_data(as_text=True)

    simulator.faults.clear()
    checked = post(admin_client, f"/admin/orders/{order.number}/payments/{payment.id}/check", {},
                   csrf=_token(admin_client, order))
    assert checked.status_code == 303
    order = reloaded(session, order)
    assert line_of(order, "COF-101").quantity == 1 and order.revision == 1
    klarna = simulator.get_order(payment.klarna_order_id)
    session.refresh(payment)
    assert klarna["order_amount"] == order.total == payment.amount and payment.pending_event_id is None
    assert len({call.idempotency_key for call in patches(session, payment)}) == 1
    assert not session.exec(select(PaymentEvent).where(PaymentEvent.kind == "amount_changed")).all()


def test_the_order_page_asks_the_database_as_often_for_many_lines_as_for_few(app, admin_client, session, simulator,
                                                                             gateway):
    from .conftest import counting_queries

    few = make_order(session, products=(("RUN-001", 1),))
    many = make_order(session, products=tuple((sku, 1) for sku in (
        "RUN-001", "JKT-002", "CAP-003", "SOC-004", "BAG-005", "COF-101", "TEA-102", "BK-201")))
    for order in (few, many):
        paid_payment(session, simulator, gateway, order)
    admin_client.get(f"/admin/orders/{few.number}")  # the first request loads what every page needs
    counts = []
    for order in (few, many):
        with counting_queries(app) as statements:
            assert admin_client.get(f"/admin/orders/{order.number}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_preview_shows_the_new_total_and_klarnas_amount_and_stores_nothing(app, admin_client, session, order,
                                                                               payment):
    from .edit_helpers import edit_fields

    shoe = line_of(order, "RUN-001")
    fields = edit_fields(order, **{f"quantity_{shoe.id}": "2"})
    response = post(admin_client, f"/admin/orders/{order.number}/edit/preview", fields, htmx=True,
                    csrf=_token(admin_client, order))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="edit-preview"')
    new = order.total + shoe.unit_price
    assert f"New total: {shown(app, new)} (now {shown(app, order.total)})." in html
    assert f"Klarna is asked to raise its amount from {shown(app, order.total)} to {shown(app, new)}" in html
    bad = post(admin_client, f"/admin/orders/{order.number}/edit/preview",
               {**fields, f"quantity_{shoe.id}": "x"}, htmx=True, csrf=_token(admin_client, order))
    assert "Not a valid integer value." in bad.get_data(as_text=True)
    assert reloaded(session, order).revision == 0 and not patches(session, payment)


def test_an_edit_below_what_klarna_captured_is_refused_without_asking_klarna(admin_client, session, simulator,
                                                                            order, payment):
    shoe = line_of(order, "RUN-001")
    admin_client.post(f"/admin/orders/{order.number}/ship", data={
        "action": "selected", "confirmed": "yes", "csrf_token": _token(admin_client, order),
        **{f"quantity_{line.id}": str(line.quantity if line.id == shoe.id else 0) for line in order.goods_lines}})
    order = reloaded(session, order)
    response = edit(admin_client, order, discount_amount="60.00")
    assert response.status_code == 422
    assert "Klarna has already captured" in response.get_data(as_text=True)
    assert not patches(session, payment)


def test_saving_an_order_with_a_discount_and_a_fee_unchanged_asks_klarna_nothing(admin_client, session, order,
                                                                                  payment):
    assert edit(admin_client, order, discount_percent="10", payment_fee="2.00").status_code == 303
    order = reloaded(session, order)
    discount_ids = sorted(line.id for line in order.lines if line.kind == "discount")
    assert len(patches(session, payment)) == 1
    response = edit(admin_client, order, discount_amount=f"{-sum(line.total for line in order.lines if line.kind == 'discount') / 100:.2f}",
                    payment_fee="2.00")
    assert response.status_code == 303
    assert len(patches(session, payment)) == 1 and reloaded(session, order).revision == 1
    coffee = line_of(order, "COF-101")
    assert edit(admin_client, reloaded(session, order), **{f"quantity_{coffee.id}": "1"},
                discount_amount="5.00", payment_fee="2.00").status_code == 303
    order = reloaded(session, order)
    assert set(line.id for line in order.lines if line.kind == "discount") <= set(discount_ids)  # updated in place
