"""Payment links for orders taken by phone or e-mail: a Klarna hosted page opened from the admin.

The link is the same KP + HPP session a storefront checkout opens (`klarna_checkout.start`), with
the same merchant URLs, so paying through it ends exactly like a checkout: the shopper's return,
Klarna's status callback and the sync finalise it. A new link first closes the order's earlier
sessions, so only the newest link can be paid. Klarna can send the link itself (API.md §2.4).
"""
from __future__ import annotations

from sqlmodel import Session, select

from shop.i18n_markers import N_, label_arg
from shop.klarna import KlarnaError
from shop.models import Order, Payment, PaymentLink, PaymentMethod
from shop.orders import add_event

from . import klarna_checkout
from .common import ProviderError, add_payment_event
from .gateway import KlarnaGateway, correlation_id

KLARNA_CHANNELS = {"klarna_email": "email", "klarna_sms": "sms"}
LINKABLE_STATUSES = ("awaiting_payment",)


class AlreadyPaid(Exception):
    """An earlier session of the order turned out to be paid: no new link is needed."""

    def __init__(self, payment: Payment):
        super().__init__(payment.id)
        self.payment = payment


class DistributionFailed(Exception):
    """The link exists, but Klarna did not send it."""

    def __init__(self, link: PaymentLink, error: ProviderError):
        super().__init__(error.message)
        self.link = link
        self.error = error


def latest_link(session: Session, order: Order) -> PaymentLink | None:
    return session.exec(select(PaymentLink).where(PaymentLink.order_id == order.id)
                        .order_by(PaymentLink.id.desc())).first()  # type: ignore[union-attr]


def create_link(session: Session, order: Order, method: PaymentMethod, gateway: KlarnaGateway,
                urls_for: klarna_checkout.UrlsFor, *, channel: str, recipient: str, actor: str) -> PaymentLink:
    """Open a new hosted page session for the order and keep its link; Klarna sends it for the Klarna channels.

    Raises AlreadyPaid, KlarnaError (an earlier session could not be closed), CheckoutFailed
    (Klarna refused the new session) or DistributionFailed (the link exists, Klarna did not send it).
    """
    already = klarna_checkout.disable_open_sessions(session, order, gateway)
    if already is not None:
        raise AlreadyPaid(already)
    url = klarna_checkout.start(session, order, method, gateway, urls_for)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)
                           .order_by(Payment.id.desc())).first()  # type: ignore[union-attr]
    link = PaymentLink(order_id=order.id, payment_id=payment.id, url=url, expires_at=payment.session_expires_at,
                       channel=channel, recipient=recipient, created_by=actor)
    session.add(link)  # "shop_email": shop.mail's trigger queues the e-mail in this transaction
    add_event(session, order, "payment_link_created", N_("Payment link created (%(channel)s)"), actor=actor,
              payment_id=payment.id, message_args={"channel": label_arg("link_channel", channel)},
              recipient=recipient)
    session.commit()
    if channel in KLARNA_CHANNELS:
        _distribute(session, order, payment, method, gateway, link, actor)
    return link


def _distribute(session: Session, order: Order, payment: Payment, method: PaymentMethod, gateway: KlarnaGateway,
                link: PaymentLink, actor: str) -> None:
    how = KLARNA_CHANNELS[link.channel]
    contact = {"email": link.recipient} if how == "email" else {"phone": link.recipient, "phone_country": order.country}
    client = gateway.client(method, order_id=order.id, payment_id=payment.id)
    session.commit()  # no transaction stays open while Klarna is called
    try:
        client.distribute_hpp_session(payment.hpp_session_id, how, contact)
    except KlarnaError as error:
        problem = ProviderError.from_klarna(error)
        add_payment_event(session, payment, "link_not_sent", error=problem, actor=actor)
        session.commit()
        raise DistributionFailed(link, problem) from None
    add_payment_event(session, payment, "link_sent", N_("Klarna sent the payment link to %(recipient)s"),
                      actor=actor, correlation_id=correlation_id(client), message_args={"recipient": link.recipient})
    session.commit()
