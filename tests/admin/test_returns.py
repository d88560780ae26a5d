"""Returns and the overpayment refund on the order page, plain and htmx, against the in-process simulator."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shop.models import Order, Payment, PaymentMethod, Product, Return, User
from shop.payments import service
from tests.conftest import csrf_token
from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator  # noqa: F401  (fixtures)

from .conftest import post
from .test_payment_panel import klarna_order, page, shown

ADMIN = "admin@example.com"
FIVE_ITEMS = (("CAP-003", 2), ("CHO-103", 1), ("BK-201", 2))  # 120.00 € with the parcel locker


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}


@pytest.fixture(autouse=True)
def english_admin(session):
    user = session.exec(select(User)).one()
    user.locale = "en"
    session.commit()


@pytest.fixture
def order(app, session, simulator, gateway) -> Order:
    """Captured in one single full capture: every item shipped and Klarna's payment activated."""
    order = make_order(session, products=FIVE_ITEMS)
    payment = paid_payment(session, simulator, gateway, order)
    for line in order.goods_lines:
        line.shipped_quantity = line.quantity
        session.add(line)
    order.status = "shipped"
    session.commit()
    with app.test_request_context():
        service.activate(session, payment, gateway, actor=ADMIN)
    return order


@pytest.fixture
def payment(session, order) -> Payment:
    return session.exec(select(Payment).where(Payment.order_id == order.id)).one()


def line_id(order, sku) -> int:
    return next(line.id for line in order.lines if line.reference == sku)


def register(client, order, quantities: dict[str, int], *, htmx=False, restock=True, shipping=False, html=None):
    html = html or page(client, order)
    data = {f"return_{line_id(order, sku)}": str(qty) for sku, qty in quantities.items()}
    data["return_token"] = re.search(r'name="return_token" type="hidden" value="([^"]+)"', html).group(1)
    if restock:
        data["restock"] = "y"
    if shipping:
        data[f"return_{line_id(order, 'shipping')}"] = "y"
    return post(client, f"/admin/orders/{order.number}/returns", data, htmx=htmx, csrf=csrf_token(html))


def refund_token(html: str) -> str:
    return re.search(r'name="overpayment-refund_token" type="hidden" value="([^"]+)"', html).group(1)


def refund_overpayment(client, order, payment, amount: str, *, htmx=False, token=None):
    html = page(client, order)
    data = {"confirmed": "yes", "overpayment-amount": amount,
            "overpayment-refund_token": token or refund_token(html)}
    return post(client, f"/admin/orders/{order.number}/payments/{payment.id}/overpayment-refund", data, htmx=htmx,
                csrf=csrf_token(html))


def after(client, order, response, *, htmx) -> str:
    if htmx:
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        html = response.get_data(as_text=True)
        assert html.lstrip().startswith('<section id="order-returns"')
        for oob in ("order-totals", "order-events", "order-shipping", "payments"):
            assert f'id="{oob}" class="card" hx-swap-oob="true"' in html
        return html
    assert response.status_code == 303 and response.location == f"/admin/orders/{order.number}"
    return client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_return_lowers_the_total_and_shows_the_overpayment(app, admin_client, session, order, htmx):
    stock = session.exec(select(Product).where(Product.sku == "CAP-003")).one().stock
    response = register(admin_client, order, {"CAP-003": 1, "BK-201": 1}, htmx=htmx)
    html = after(admin_client, order, response, htmx=htmx)
    overpaid = shown(app, 2490 + 2990)
    assert f"The customer has paid {overpaid} more than the order total." in html
    assert "Refund overpayment" in html and f'value="{(2490 + 2990) / 100:.2f}"' in html  # suggested
    assert shown(app, 12000 - 2490 - 2990) in html[html.index('id="order-totals"'):]
    assert "1 × Villapipo, 1 × Pohjolan retkeilyreitit" in html  # the returns list and the history
    session.expire_all()
    assert session.exec(select(Product).where(Product.sku == "CAP-003")).one().stock == stock + 1
    assert len(session.exec(select(Return)).all()) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_returning_more_than_was_shipped_is_422_and_keeps_what_was_typed(admin_client, session, order, htmx):
    response = register(admin_client, order, {"CAP-003": 3}, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a number from 0 to 2." in html and 'value="3"' in html
    assert ("<html" in html) is not htmx
    assert session.exec(select(Return)).all() == []


def test_the_same_return_form_saved_twice_registers_one_return(admin_client, session, order):
    html = page(admin_client, order)
    first = register(admin_client, order, {"CAP-003": 1}, html=html)
    second = register(admin_client, order, {"CAP-003": 1}, html=html)
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(session.exec(select(Return)).all()) == 1
    session.expire_all()
    assert session.get(Order, order.id).lines[0].returned_quantity == 1


def test_a_return_of_nothing_is_422(admin_client, order):
    response = register(admin_client, order, {}, restock=False)
    assert response.status_code == 422 and "Choose at least one item that was returned." in response.get_data(
        as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_refund_overpayment_less_a_return_cost(app, admin_client, simulator, order, payment, htmx):
    register(admin_client, order, {"CAP-003": 1, "BK-201": 1})
    response = refund_overpayment(admin_client, order, payment, "48,90", htmx=htmx)
    html = after(admin_client, order, response, htmx=htmx)
    [refund] = klarna_order(simulator, payment)["refunds"]
    assert refund["refunded_amount"] == 4890
    assert [line["total_amount"] for line in refund["order_lines"] if line["type"] == "return_fee"] == [-590]
    assert f"{shown(app, 4890)} refunded to the customer." in html
    assert "more than the order total" not in html and "Return cost" in html  # the notice cleared


@pytest.mark.parametrize("htmx", [False, True])
def test_refund_above_what_is_refundable_is_422(admin_client, simulator, order, payment, htmx):
    register(admin_client, order, {"CAP-003": 1})
    response = refund_overpayment(admin_client, order, payment, "120,01", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "at most what can be refunded" in html and 'value="120,01"' in html
    assert klarna_order(simulator, payment)["refunds"] == []


def test_a_refund_form_without_its_token_is_shown_again_with_a_fresh_one(admin_client, simulator, order, payment):
    register(admin_client, order, {"CAP-003": 1})
    response = refund_overpayment(admin_client, order, payment, "24,90", token="bad")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "This form had expired" in html
    assert refund_token(html) != "bad" and klarna_order(simulator, payment)["refunds"] == []


def test_the_same_refund_form_submitted_twice_refunds_once(app, admin_client, simulator, order, payment):
    register(admin_client, order, {"CAP-003": 1, "BK-201": 1})
    html = page(admin_client, order)
    token = refund_token(html)
    first = refund_overpayment(admin_client, order, payment, "10,00", token=token)
    second = refund_overpayment(admin_client, order, payment, "10,00", token=token)
    assert (first.status_code, second.status_code) == (303, 303)
    assert [refund["refunded_amount"] for refund in klarna_order(simulator, payment)["refunds"]] == [1000]


@pytest.mark.parametrize("htmx", [False, True])
def test_klarnas_refusal_shows_its_message_and_correlation_id(admin_client, session, simulator, order, payment,
                                                               htmx, monkeypatch):
    register(admin_client, order, {"CAP-003": 1})
    monkeypatch.setattr("shop.admin.returns.preflight", lambda *args: None)  # Klarna's portal change goes unseen
    with simulator.transaction():
        simulator.orders.refund(simulator.orders.load(None, payment.klarna_order_id), {"refunded_amount": 12000})
    response = refund_overpayment(admin_client, order, payment, "24,90", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Klarna refused the action." in html and "REFUND_NOT_ALLOWED" in html
    assert "Klarna correlation id:" in html
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_amount == 0


def test_the_refund_panel_carries_its_token_and_refunds_everything_with_the_lines(admin_client, simulator, order,
                                                                                   payment):
    html = page(admin_client, order)
    name = f"refund-{payment.id}-refund_token"
    token = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)
    data = {"confirmed": "yes", f"refund-{payment.id}-amount": "120,00", name: token}
    url = f"/admin/orders/{order.number}/payments/{payment.id}/refund"
    for _ in range(2):
        assert post(admin_client, url, data, csrf=csrf_token(html)).status_code == 303
    [refund] = klarna_order(simulator, payment)["refunds"]
    assert refund["refunded_amount"] == 12000 == sum(line["total_amount"] for line in refund["order_lines"])


@pytest.mark.parametrize("htmx", [False, True])
def test_the_overpayment_paid_back_with_another_method_clears_the_notice(app, admin_client, session, order, htmx):
    register(admin_client, order, {"CAP-003": 1})
    html = page(admin_client, order)
    notice = html[html.index('class="alert alert-warning overpayment"'):html.index('<section id="payments"')]
    assert 'href="#new-transaction"' in notice
    assert 'id="new-transaction"' in html and re.search(r'<input checked [^>]*value="pay_back"', html)  # suggested
    assert 'name="transaction-amount" required type="text" value="24.90"' in html
    bank = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()
    response = post(admin_client, f"/admin/orders/{order.number}/transactions", {
        "transaction-direction": "pay_back", "transaction-amount": "24,90", "transaction-method_id": str(bank.id),
    }, htmx=htmx, csrf=csrf_token(html))
    assert response.status_code == (200 if htmx else 303)
    after_html = response.get_data(as_text=True) if htmx else page(admin_client, order)
    assert "more than the order total" not in after_html
    if htmx:
        assert 'id="order-returns" class="card" hx-swap-oob="true"' in after_html


def test_the_order_page_reads_returns_in_a_fixed_number_of_queries(app, admin_client, session, order):
    from .conftest import counting_queries

    register(admin_client, order, {"CAP-003": 1})
    with counting_queries(app) as one_return:
        page(admin_client, order)
    register(admin_client, order, {"CAP-003": 1})
    register(admin_client, order, {"BK-201": 2}, shipping=True)
    with counting_queries(app) as three_returns:
        html = page(admin_client, order)
    assert len(session.exec(select(Return)).all()) == 3 and html.count("admin@example.com:") == 3  # the returns list
    assert len(three_returns) == len(one_return)


@pytest.mark.parametrize("typed", ["abc", "-1", "99999999999999999999", " ", "1.5", "3"])
def test_whatever_is_typed_as_a_returned_quantity_is_a_422_and_changes_nothing(admin_client, session, order, typed):
    html = page(admin_client, order)
    token = re.search(r'name="return_token" type="hidden" value="([^"]+)"', html).group(1)
    response = post(admin_client, f"/admin/orders/{order.number}/returns",
                    {f"return_{line_id(order, 'CAP-003')}": typed, "return_token": token}, csrf=csrf_token(html))
    assert response.status_code == 422
    assert session.exec(select(Return)).all() == []


@pytest.mark.parametrize("typed", ["1e400", "NaN", "-5", "10000000000000", "", "12,345", "Infinity"])
def test_whatever_is_typed_as_a_refund_amount_is_a_422_and_refunds_nothing(admin_client, simulator, order,
                                                                          payment, typed):
    register(admin_client, order, {"CAP-003": 1})
    response = refund_overpayment(admin_client, order, payment, typed)
    assert response.status_code == 422
    assert klarna_order(simulator, payment)["refunds"] == []
