"""The order and payment history, and the payment layer's refusals, in the admin user's language.

Events store a msgid and its values; the admin translates them when showing them, whoever wrote
them (a shopper's request, Klarna, the cron sync). These apps render the real catalogs.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlmodel import select

from shop.admin.history import stored_text
from shop.i18n import money
from shop.i18n_markers import KLARNA_ANSWERED, N_, label_arg, money_arg
from shop.models import Order, OrderEvent, Payment, PaymentEvent, User, utcnow
from shop.orders import add_event
from shop.payments import service, states
from shop.payments.finalise import MISMATCH_UNDONE
from shop.payments.operations import NotAllowed
from tests.conftest import TRANSLATIONS
from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator, start_checkout  # noqa: F401

from .conftest import make_order as plain_order
from .conftest import post

ADMIN = "admin@example.com"
KLARNA_TEXT = "BAD_VALUE: Bad value: locale"


@pytest.fixture
def app_overrides():
    return {"BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS,
            "SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}  # the tests finalise payments themselves


def admin_speaks(session, locale: str) -> None:
    user = session.exec(select(User).where(User.email == ADMIN)).one()
    user.locale = locale
    session.commit()


def shown(app, amount: int, locale: str, currency: str = "EUR") -> str:
    with app.test_request_context(), force_locale(locale):
        return money(amount, currency)


def page(client, order: Order) -> str:
    return client.get(f"/admin/orders/{order.number}").get_data(as_text=True)


@pytest.mark.parametrize("locale, placed, status_changed, mismatch, klarna", [
    ("fi", "Tilaus tehty kauppaversiossa fi", "Klarnan tila CAPTURED: Maksettu",
     "Klarna-tilauksen summa {klarna} ei vastaa tilauksen summaa {total}; Klarna-tilaus peruttiin",
     "Klarnan vastaus: "),
    ("sv", "Beställning lagd i butiksversion fi", "Klarnas status CAPTURED: Betald",
     "Klarna-orderns belopp {klarna} stämmer inte med beställningens summa {total}; Klarna-ordern avbröts",
     "Klarnas svar: "),
    ("en", "Order placed in shop version fi", "Klarna status CAPTURED: Paid",
     "Klarna order amount {klarna} does not match the order total {total}; the Klarna order was cancelled",
     "Klarna answered: "),
])
def test_order_history_reads_in_the_admins_language(app, admin_client, session, locale, placed, status_changed,
                                                    mismatch, klarna):
    order = plain_order(session)
    add_event(session, order, "payment_status_changed", N_("Klarna status %(status)s: %(state)s"),
              message_args={"status": "CAPTURED", "state": label_arg("payment_state", states.CAPTURED)})
    add_event(session, order, "klarna_amount_mismatch", MISMATCH_UNDONE["cancelled"],
              message_args={"klarna_amount": money_arg(12000, "EUR"), "total": money_arg(9990, "EUR")})
    add_event(session, order, "klarna_session_failed", KLARNA_ANSWERED, message_args={"message": KLARNA_TEXT})
    session.commit()
    admin_speaks(session, locale)

    html = page(admin_client, order)

    assert placed in html and status_changed in html
    assert mismatch.format(klarna=shown(app, 12000, locale), total=shown(app, 9990, locale)) in html
    assert klarna + KLARNA_TEXT in html, "Klarna's own words stay as Klarna wrote them"


def test_payment_timeline_reads_in_the_admins_language(admin_client, session, simulator, gateway):
    order = make_order(session)
    paid_payment(session, simulator, gateway, order)
    admin_speaks(session, "fi")

    html = page(admin_client, order)

    assert "Klarna varasi maksun" in html and "Klarna vahvisti maksun (asiakkaan paluu)" in html
    assert "Asiakas ohjattu Klarnan maksusivulle" in html and "Payment reserved by Klarna" not in html


def test_a_stored_message_never_breaks_the_page(app):
    with app.test_request_context(), force_locale("en"):
        assert stored_text(None) == "" and stored_text("") == ""
        assert stored_text("Order placed in shop version fi") == "Order placed in shop version fi"  # older free text
        assert stored_text("100% sure") == "100% sure"
        assert stored_text("Waiting for payment: %(method)s", {"other": "x"}) == "Waiting for payment: %(method)s"
        assert stored_text("Paid %(amount)s", {"amount": money_arg(150, "XYZ")}) == "Paid 150 XYZ"
        assert stored_text("Klarna fraud status: %(status)s", {"status": label_arg("fraud_status", "NEW")}) \
            == "Klarna fraud status: NEW"
        assert stored_text("Now %(state)s", {"state": label_arg("no_such_table", "x")}) == "Now x"
    with app.test_request_context(), force_locale("fi"):
        assert stored_text("Klarna fraud status: %(status)s", {"status": label_arg("fraud_status", "ACCEPTED")}) \
            == "Klarnan petostarkistus: Hyväksytty"


def test_a_shipment_refusal_is_in_the_admins_language(admin_client, session):
    order = plain_order(session, status="confirmed")
    admin_speaks(session, "fi")
    page_url = f"/admin/orders/{order.number}"
    nothing = {f"quantity_{line.id}": "0" for line in order.goods_lines}

    response = post(admin_client, f"{page_url}/ship", {"action": "selected", **nothing})

    assert response.status_code == 422
    assert "Valitse vähintään yksi toimitettava tuote." in response.get_data(as_text=True)


def test_payment_refusals_are_in_the_admins_language(app, session, simulator, gateway):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    with app.app_context():  # the admin's default language, as in the cron sync
        with pytest.raises(NotAllowed, match="Maksuohjetta ei voi lähettää: aktivoitua maksua ei ole."):
            service.resend_instructions(session, payment, gateway, actor=ADMIN)
        service.activate(session, payment, gateway, actor=ADMIN)
        with pytest.raises(NotAllowed) as refused:
            service.extend(session, payment, gateway, actor=ADMIN)
        assert str(refused.value) == "Voimassaolon jatko ei ole mahdollista maksun nykyisessä tilassa (Maksettu)."
        with pytest.raises(NotAllowed) as refused:
            service.refund(session, payment, gateway, order.total + 1, actor=ADMIN)
    most = shown(app, order.total, "fi")
    assert str(refused.value) == f"Palautuksen on oltava yli {shown(app, 0, 'fi')} ja enintään {most}."


def test_the_cron_sync_writes_history_the_admin_reads(app, session, simulator, gateway):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    payment.created_at = payment.session_expires_at = utcnow() - timedelta(days=3)  # never came back
    session.add(payment)
    session.commit()

    result = app.test_cli_runner().invoke(args=["klarna", "sync"])

    assert result.exit_code == 0 and "abandoned 1" in result.output
    session.expire_all()
    [abandoned] = session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id,
                                                          PaymentEvent.kind == "abandoned")).all()
    [released] = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                       OrderEvent.kind == "abandoned")).all()
    with app.test_request_context(), force_locale("sv"):
        assert stored_text(abandoned.message, abandoned.data["message_args"]).startswith("Klarna-sessionen avslutades")
        assert stored_text(released.message, released.data["message_args"]).endswith("varorna återförda till lagret")
    assert session.get(Payment, payment.id).state == states.ABANDONED
