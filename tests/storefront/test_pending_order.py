"""The order waiting for payment on the cart page shows its lines and the amount due like the checkout summary."""
from sqlmodel import select

from shop.i18n_formats import money_text
from shop.models import Order
from tests.klarna_fixtures import app, app_overrides, callbacks, simulator  # noqa: F401  (fixtures)

from .test_klarna_checkout import filled_cart, klarna_checkout, on_hosted_page  # noqa: F401  (fixture)


def pending_box(html: str) -> str:
    start = html.index('<section id="pending-order"')
    return html[start:html.index("</section>", start)]


def test_the_waiting_order_shows_its_lines_and_the_amount_due(client, db_session, filled_cart):
    client.get(on_hosted_page(client, klarna_checkout(client, db_session), action="cancel"))
    db_session.expire_all()
    order = db_session.exec(select(Order)).one()
    box = pending_box(client.get("/en/cart").get_data(as_text=True))
    assert 'class="card pending-order order-summary"' in box  # styled like the checkout's order summary
    for line in order.lines:
        assert money_text(line.total, order.currency, "en") in box
    assert "1 × Trail running shoe" in box and "2 × Forest honey 350 g" in box
    assert "Shipping: Home delivery" in box
    due = box[box.index('<tr class="total">'):]
    assert "Amount due" in due and money_text(order.total, order.currency, "en") in due
    assert order.total == sum(line.total for line in order.lines) > 0
    assert "VAT 14 % included" in box  # the honey's reduced rate
