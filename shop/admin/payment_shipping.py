"""Shipping drives the Klarna payment: a guard before goods leave, a capture after they have.

The guard asks Klarna first (a sync), so a reservation that expired or was cancelled in
the merchant portal stops the shipment; if Klarna cannot be reached it does not block.
The listener captures what was shipped once the shipment is committed; before that, the charge
says what it will capture (the same computation), for the merchant to confirm.
"""
from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, select

from shop.db import db
from shop.i18n import money
from shop.i18n_markers import N_
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order, Payment, PaymentEvent, PaymentMethod, Shipment
from shop.orders import add_event
from shop.payments import service, states
from shop.payments.bad_news import curable
from shop.payments.common import ProviderError
from shop.payments.gateway import current_gateway
from shop.payments.operations import NotAllowed, OperationInProgress
from shop.payments.sync import sync

from .order_queries import RESERVED_STATES, order_for_update
from .orders import ShipmentCharge
from .payment_panel import NewPaymentOffer, open_other_payment, shipping_refusal

# A live reservation may have been cancelled, expired or reviewed at Klarna; an expired one revived by
# Klarna's support. Captured, cancelled or rejected payments cannot change in a way that matters here.
STATES_KLARNA_MAY_HAVE_CHANGED = (*RESERVED_STATES, states.EXPIRED)


def as_provider_error(error: Exception) -> ProviderError:
    return error if isinstance(error, ProviderError) else ProviderError.from_klarna(error)  # type: ignore[arg-type]


def describe(error: ProviderError) -> str:
    """Klarna's answer in one sentence for a flash message: its words and the correlation id."""
    if error.outcome_unknown and error.klarna_answered:
        text = _("Klarna answered with an error; the result will be checked automatically.")
    elif error.outcome_unknown:
        text = _("Klarna did not answer; the result will be checked automatically.")
    elif curable(error):
        text = _("The payment is on hold: Klarna refused the activation for now (%(message)s). The shop asks "
                 "Klarna again automatically.", message=error.message)
    else:
        text = _("Klarna answered: %(message)s", message=error.message)
    if error.correlation_id:
        text += " " + _("(Klarna correlation id: %(id)s)", id=error.correlation_id)
    return text


def refuse_unapproved_klarna_payment(order: Order) -> str | None:
    """SHIPMENT_GUARD: no shipping on an unapproved, rejected or still-reviewed Klarna payment."""
    session = db()
    payment = service.active_payment(session, order)
    if payment is None or open_other_payment(_payments_of(session, order), payment):
        return None
    if payment.state in STATES_KLARNA_MAY_HAVE_CHANGED:
        _check_with_klarna(session, order, payment)
    return shipping_refusal(payment)


def _payments_of(session: Session, order: Order) -> list[Payment]:
    return list(session.exec(select(Payment).where(Payment.order_id == order.id)))


def _check_with_klarna(session: Session, order: Order, payment: Payment) -> None:
    try:
        sync(session, payment, current_gateway(), actor=current_user.email)
    except KLARNA_ERRORS as error:
        session.rollback()
        found = as_provider_error(error)
        lead = _("Klarna answered with an error when the payment was checked before shipping; the last known state "
                 "was used.") if found.klarna_answered else _(
            "Klarna could not be reached to check the payment before shipping; the last known state was used.")
        flash(lead + " " + describe(found), "warning")
    finally:
        # The sync commits, which ends the shipment's row lock: take it again, with fresh lines.
        order_for_update(session, order.number)


def klarna_shipment_charge(order: Order, quantities: dict[int, int]) -> ShipmentCharge | None:
    """SHIPMENT_CHARGE: what Klarna will capture if these units (order line id -> units) are shipped now."""
    completes = all(quantities.get(line.id, 0) >= line.unshipped_quantity for line in order.goods_lines)
    capture = service.shipment_capture(db(), order, quantities, completes=completes, reference="")
    if capture is None or capture.amount <= 0:
        return None
    amount = money(capture.amount, order.currency)
    if capture.with_fees:
        text = _("Klarna will charge the customer %(amount)s for the shipped items and the shipping.", amount=amount)
    elif capture.everything:
        text = _("Klarna will charge the customer the remaining %(amount)s of the payment for the shipped items.",
                 amount=amount)
    else:
        text = _("Klarna will charge the customer %(amount)s for the shipped items.", amount=amount)
    return ShipmentCharge(capture.amount, order.currency, text)


def capture_shipped_goods(session: Session, order: Order, shipment: Shipment, actor: str) -> None:
    """SHIPMENT_LISTENER: activate the Klarna payment for what was shipped (all fees on the first capture)."""
    try:
        event = service.capture_shipment(session, order, shipment, current_gateway(), actor=actor)
    except OperationInProgress:
        flash(_("The shipment was recorded, but the Klarna payment was not activated: an operation is already in "
                "progress. Check the payment below."), "warning")
    except NotAllowed as refusal:
        flash(_("The shipment was recorded, but the Klarna payment was not activated: %(reason)s",
                reason=str(refusal)), "warning")
    except KLARNA_ERRORS as error:
        flash(_("The shipment was recorded, but the Klarna payment was not activated.") + " "
              + describe(as_provider_error(error)), "error")
    else:
        if event is not None:
            flash(_("Klarna payment activated: %(amount)s captured for this shipment.",
                    amount=money(event.amount, order.currency)), "success")


def create_manual_payment(session: Session, order: Order, offer: NewPaymentOffer, method: PaymentMethod, *,
                          actor: str) -> Payment:
    """"Create new payment transaction": what Klarna no longer carries, asked with another method."""
    payment = Payment(order_id=order.id, method_id=method.id, provider=method.provider, state=states.AWAITING,
                      currency=offer.currency, amount=offer.amount)
    session.add(payment)
    session.flush()
    message, message_args = N_("Payment transaction created with %(method)s"), {"method": method.name}
    session.add(PaymentEvent(payment_id=payment.id, kind="created", amount=offer.amount, actor=actor,
                             message=message, data={"message_args": message_args}))
    add_event(session, order, "payment_transaction_created", message, actor=actor, payment_id=payment.id,
              amount=offer.amount, currency=offer.currency, message_args=message_args)
    session.commit()
    return payment
