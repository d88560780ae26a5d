"""Marking goods shipped from the order page: all, some, refused, and what other parts hear of it."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.admin import orders as admin_orders
from shop.models import Order, Shipment
from tests.conftest import ADMIN_EMAIL

from .conftest import make_order, post


@pytest.fixture
def order(session) -> Order:
    return make_order(session, items=(("RUN-001", 2), ("COF-101", 3)), status="confirmed")


def ship(client, order: Order, data: dict, *, htmx: bool = False):
    page = f"/admin/orders/{order.number}"
    from tests.conftest import csrf_token

    csrf = csrf_token(client.get(page).get_data(as_text=True))
    return post(client, f"{page}/ship", data, htmx=htmx, csrf=csrf)


def shipped(session, order: Order) -> dict[str, int]:
    session.expire_all()
    return {line.reference: line.shipped_quantity for line in session.get(Order, order.id).goods_lines}


def quantities(order: Order, **by_sku: int) -> dict[str, str]:
    return {f"quantity_{line.id}": str(by_sku.get(line.reference.replace("-", "_"), 0)) for line in order.goods_lines}


def test_mark_all_shipped(admin_client, session, order):
    response = ship(admin_client, order, {"action": "all"})
    assert response.status_code == 303 and response.location == f"/admin/orders/{order.number}"
    assert shipped(session, order) == {"RUN-001": 2, "COF-101": 3}
    assert session.get(Order, order.id).status == "shipped"
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "Shipment recorded." in page and "All items have been shipped." in page
    assert f"{ADMIN_EMAIL}:" in page and "2 × Polkujuoksukenkä" in page


def test_ship_selected_quantities(admin_client, session, order):
    response = ship(admin_client, order, {"action": "selected", **quantities(order, RUN_001=1)})
    assert response.status_code == 303
    assert shipped(session, order) == {"RUN-001": 1, "COF-101": 0}
    assert session.get(Order, order.id).status == "partially_shipped"
    page = admin_client.get(response.location).get_data(as_text=True)
    line = session.get(Order, order.id).goods_lines[0]
    assert f'name="quantity_{line.id}" type="number" value="1"' in page  # what is left is the new default


def test_htmx_gets_the_items_and_out_of_band_updates(admin_client, session, order):
    response = ship(admin_client, order, {"action": "selected", **quantities(order, COF_101=2)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="order-shipping"')
    for oob in ('id="order-status" hx-swap-oob="true"', 'id="order-events" class="card" hx-swap-oob="true"',
                'id="payments" class="card" hx-swap-oob="true"', 'id="flashes" class="flashes" role="status"'):
        assert oob in html
    assert "Shipment recorded." in html and "Partially shipped" in html
    coffee = next(line for line in order.goods_lines if line.reference == "COF-101")
    assert f'name="quantity_{coffee.id}" type="number" value="1"' in html  # the new default: what is left


@pytest.mark.parametrize("htmx", [False, True])
def test_more_than_is_left_is_422(admin_client, session, order, htmx):
    response = ship(admin_client, order, {"action": "selected", **quantities(order, RUN_001=3)}, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a number from 0 to 2." in html and 'value="3"' in html  # the typed value stays
    assert ("<html" in html) is not htmx
    assert shipped(session, order) == {"RUN-001": 0, "COF-101": 0}


def test_junk_quantities_are_422(admin_client, session, order):
    line = order.goods_lines[0]
    for typed in ("abc", "-1", "1.5"):
        assert ship(admin_client, order, {"action": "selected", f"quantity_{line.id}": typed}).status_code == 422
    assert shipped(session, order) == {"RUN-001": 0, "COF-101": 0}


def test_nothing_chosen_is_422_with_the_reason(admin_client, session, order):
    response = ship(admin_client, order, {"action": "selected", **quantities(order)})
    assert response.status_code == 422
    assert "Choose at least one item to ship." in response.get_data(as_text=True)
    assert session.exec(select(Shipment)).all() == []


def test_nothing_left_to_ship_is_422(admin_client, session, order):
    ship(admin_client, order, {"action": "all"})
    assert ship(admin_client, order, {"action": "all"}).status_code == 422
    assert len(session.exec(select(Shipment)).all()) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_guard_refuses_with_409(admin_client, session, order, monkeypatch, htmx):
    monkeypatch.setattr(admin_orders, "SHIPMENT_GUARDS", [lambda o: f"Payment of {o.number} is not reserved."])
    response = ship(admin_client, order, {"action": "all"}, htmx=htmx)
    assert response.status_code == 409
    assert f"Payment of {order.number} is not reserved." in response.get_data(as_text=True)
    assert shipped(session, order) == {"RUN-001": 0, "COF-101": 0}


def test_a_cancelled_order_cannot_be_shipped(admin_client, session):
    order = make_order(session, status="cancelled")
    assert ship(admin_client, order, {"action": "all"}).status_code == 409


def test_listeners_hear_of_the_committed_shipment(admin_client, session, order, monkeypatch):
    heard = []

    def listener(db_session, shipped_order, shipment, actor):
        heard.append((shipped_order.number, shipment.id, actor, [line.quantity for line in shipment.lines]))
        assert not db_session.new and not db_session.dirty  # the shipment is committed before anyone hears

    monkeypatch.setattr(admin_orders, "SHIPMENT_LISTENERS", [listener])
    ship(admin_client, order, {"action": "selected", **quantities(order, RUN_001=2)})
    shipment = session.exec(select(Shipment)).one()
    assert heard == [(order.number, shipment.id, ADMIN_EMAIL, [2])]


def test_a_failing_listener_does_not_undo_the_shipment(admin_client, session, order, monkeypatch):
    def broken(*_args):
        raise RuntimeError("capture failed")

    monkeypatch.setattr(admin_orders, "SHIPMENT_LISTENERS", [broken])
    response = ship(admin_client, order, {"action": "all"})
    assert response.status_code == 303
    assert shipped(session, order) == {"RUN-001": 2, "COF-101": 3}
    assert "a follow-up step failed" in admin_client.get(response.location).get_data(as_text=True)
